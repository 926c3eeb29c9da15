"""Deck 001, "The Road Less Scheduled": schedule-free AdamW (no schedule, evaluated at x) is as
good as AdamW + warmup-cosine; one weight's z (Adam iterate), y (gradient point), x (z's mean)."""
from types import SimpleNamespace

import numpy
from _digits import deep_mlp, loaders
from tinyopt import nn, optim
from tinyopt.optim.lr_scheduler import WarmupCosineLR
from tinyopt.train import evaluate, fit
from tinyopt.viz import new_figure
from tinyopt.viz.style import color, lecture_style


def make(fast=False):
    (train, test), epochs, ce = loaders(), 2 if fast else 20, nn.CrossEntropyLoss()
    with lecture_style():
        figure, (loss_axis, xyz_axis) = new_figure(1, 2, panel_size=(7.0, 4.8))
        for free, label in enumerate(("AdamW + warmup-cosine", "schedule-free AdamW")):
            model, losses, yz = deep_mlp(3), [], []
            opt = (optim.AdamWScheduleFree(model.parameters(), lr=3e-3, warmup_steps=20) if free
                   else optim.AdamW(model.parameters(), lr=3e-3))
            record = SimpleNamespace(  # per epoch the test loss at x, per step one weight's y, z
                on_epoch_end=lambda *_: (free and opt.eval(), losses.append(evaluate(
                    model, ce, test)["loss"]), free and opt.train()), on_step_end=lambda *_: free
                and yz.append((model[2].weight.array[0, 0], opt.state[model[2].weight]["z"][0][0])))
            fit(model, ce, opt, train, epochs=epochs, progress=False, callbacks=[record],
                scheduler=None if free else WarmupCosineLR(opt, 20, epochs * len(train)),
                scheduler_interval="batch")
            loss_axis.plot(range(1, epochs + 1), losses, color=color(free), marker="o",
                           label=f"{label}: {losses[-1]:.3f}")
        y, z = numpy.array(yz).T
        for index, (name, values) in enumerate((("x (evaluated)", (y - 0.1 * z) / 0.9),
                                                ("y (gradient)", y), ("z (Adam iterate)", z))):
            xyz_axis.plot(values, color=color(index + 2), linewidth=1.5, label=name)
        loss_axis.set(xlabel="epoch", ylabel="test loss", yscale="log",
                      title="3-layer MLP, 8x8 digits")
        xyz_axis.set(xlabel="step", ylabel="weight [0, 0] of layer 2", title="Schedule-free AdamW")
        loss_axis.legend(title="last test loss")
        xyz_axis.legend()
    return figure
