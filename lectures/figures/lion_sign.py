"""Deck 001/002, "Lion": Lion moves every weight by exactly lr (the sign of its momentum); AdamW's
m/√v spreads its steps over decades, most below lr. Per weight at one step and RMS every step
(Lion's RMS is just below 1: always-blank pixels get no gradient, and sign 0 = 0)."""
from types import SimpleNamespace

import numpy
from _digits import deep_mlp, loaders
from tinyopt import nn, optim
from tinyopt.train import fit
from tinyopt.viz import new_figure
from tinyopt.viz.style import color, lecture_style, log_scale


def make(fast=False):
    train, _ = loaders()
    with lecture_style():
        figure, (hist_axis, rms_axis) = new_figure(1, 2, panel_size=(7.0, 4.8))
        for index, (cls, lr) in enumerate(((optim.AdamW, 1e-3), (optim.Lion, 1e-4))):
            model, kept, label = deep_mlp(3), {}, f"{cls.__name__}, lr {lr:g}"
            weight = model[0].weight  # below: step 50's |Δθ| of every weight, in units of lr
            spy = SimpleNamespace(on_before_optimizer_step=lambda step, *_: kept.update(
                before=weight.array.copy()), on_step_end=lambda step, *_: step == 50 and
                kept.update(steps=numpy.abs(weight.array - kept["before"]).ravel() / lr))
            history = fit(model, nn.CrossEntropyLoss(), cls(model.parameters(), lr=lr,
                          weight_decay=0.0), train, epochs=3 if fast else 10, progress=False,
                          callbacks=[spy], record=["update_norm"])
            steps = kept["steps"][kept["steps"] > 0]
            print(label, f"step 50: |Δθ|/lr median {numpy.median(steps):.3g}, "
                         f"range {steps.min():.3g} .. {steps.max():.3g}")
            hist_axis.hist(steps, bins=numpy.geomspace(1.2e-4, 12, 41), color=color(index),
                           alpha=0.7, label=label)
            rms_axis.plot(numpy.array(history.layers["update_norm/0.weight"])
                          / (lr * weight.array.size ** 0.5), color=color(index))
        hist_axis.set(xscale="log", xlabel="|Δθ| / lr at step 50", ylabel="weights",
                      title="One step, per weight")
        rms_axis.set(xlabel="step", ylabel="RMS |Δθ| / lr", title="Every step")
        log_scale(rms_axis)
        hist_axis.legend(loc="upper left")
        figure.suptitle("First layer of a 3-layer MLP on the 8x8 digits (no weight decay)")
    return figure
