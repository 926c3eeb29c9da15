"""Deck 002, "Why does the loss spike?": the linear model on the digits, per step, the norm
of its weights ‖W‖ and of its step ‖ΔW‖ — at lr 0.1 the steps are a few hundredths of the
weights; at lr 30 they grow as large as the weights themselves, and the loss spikes."""
import numpy
from _digits import deep_mlp, loaders
from tinyopt import nn, optim
from tinyopt.train import fit
from tinyopt.viz import new_figure
from tinyopt.viz.style import color, lecture_style


def make(fast=False):
    train, _ = loaders()
    with lecture_style():
        figure, axes = new_figure(1, 2, panel_size=(7.0, 4.8), sharey=True)
        for axis, lr in zip(axes, (0.1, 30.0)):
            model = deep_mlp(1)
            history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr),
                          train, epochs=1 if fast else 4, progress=False,
                          record=["weight_norm", "update_norm"])
            weights = numpy.array(history.layers["weight_norm/0.weight"])
            steps = numpy.array(history.layers["update_norm/0.weight"])
            axis.plot(weights, color=color(0), label="weights ‖W‖")
            axis.plot(steps, color=color(3), label="step ‖ΔW‖")
            axis.set(yscale="log", xlabel="step", title=f"lr {lr:g}: ‖ΔW‖ / ‖W‖ up to "
                                                        f"{(steps / weights).max():.2g}")
        axes[0].set_ylabel("norm (weight matrix)")
        figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center",
                      ncols=2)
        figure.suptitle("Linear model on the 8x8 digits, SGD: the steps become the weights")
    return figure
