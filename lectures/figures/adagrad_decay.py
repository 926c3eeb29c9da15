"""Deck 001, "AdaGrad" and "RMSprop": Adagrad divides by the root of the *sum* of all squared
gradients, so its per-weight rate lr/√r only shrinks (≈ 1/√t) and training slows; RMSprop's
running average forgets: its rate follows the recent gradients (and rises as they shrink)."""
from types import SimpleNamespace

import numpy
from _digits import deep_mlp, loaders
from tinyopt import nn, optim
from tinyopt.train import fit
from tinyopt.viz import new_figure
from tinyopt.viz.style import color, lecture_style, log_scale


def make(fast=False):
    train, _ = loaders()
    runs = {"Adagrad, lr 0.01": (optim.Adagrad, "sum"), "RMSprop, lr 0.01": (optim.RMSprop,
                                                                           "square_avg")}
    with lecture_style():
        figure, (rate_axis, loss_axis) = new_figure(1, 2, panel_size=(7.0, 4.8))
        for index, (label, (cls, key)) in enumerate(runs.items()):
            model, rates = deep_mlp(1), []  # per step: the median of lr / (√r + ε), layer 1
            median_rate = SimpleNamespace(on_step_end=lambda step, loss, model, opt, history:
                                          rates.append(float(numpy.median(0.01 / (
                                              opt.state[model[0].weight][key] ** 0.5 + 1e-10)))))
            history = fit(model, nn.CrossEntropyLoss(), cls(model.parameters(), lr=0.01,
                                                            eps=1e-10), train,
                          epochs=3 if fast else 40, progress=False, callbacks=[median_rate])
            print(label, "median rate at steps 1, 10, 100, last:",
                  ", ".join(f"{rates[i]:.3g}" for i in (0, 9, min(99, len(rates) - 1), -1)))
            rate_axis.plot(range(1, len(rates) + 1), rates, color=color(index), label=label)
            loss_axis.plot(range(1, len(rates) + 1), history.steps["loss"], color=color(index))
        rate_axis.set(xscale="log", yscale="log", xlabel="step", ylabel="median lr / (√r + ε)",
                      title="Per-weight rate, layer 1")
        loss_axis.set(xscale="log", xlabel="step", ylabel="training loss", title="Loss")
        log_scale(loss_axis)
        rate_axis.legend()
        figure.suptitle("Linear model on the 8x8 digits")
    return figure
