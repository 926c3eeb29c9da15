"""Deck 002, "Learning rates for a deep network": SGD with momentum at lr 0.1 and 0.01 —
the linear model trains at both (0.1 faster); the 8-layer net spikes and stalls at 0.1 and
trains at 0.01: the deeper net's largest rate without spikes is ten times smaller."""
import numpy
from _digits import deep_mlp, loaders
from tinyopt import nn, optim
from tinyopt.train import fit
from tinyopt.viz import new_figure
from tinyopt.viz.style import color, lecture_style, log_scale


def make(fast=False):
    train, test = loaders()
    with lecture_style():
        figure, axes = new_figure(1, 2, panel_size=(7.0, 4.8), sharey=True)
        for axis, depth in zip(axes, (1, 8)):
            for index, lr in enumerate((0.1, 0.01)):
                model = deep_mlp(depth)
                with numpy.errstate(over="ignore", invalid="ignore"):
                    history = fit(model, nn.CrossEntropyLoss(),
                                  optim.SGD(model.parameters(), lr=lr, momentum=0.9), train,
                                  epochs=2 if fast else 8, val_loader=test, progress=False)
                accuracy = 100 * history.epochs["val_accuracy"][-1]
                axis.plot(history.steps["loss"], color=color(index),
                          label=f"lr {lr:g}: test accuracy {accuracy:.0f} %")
            axis.set(xlabel="step", title="linear model" if depth == 1 else f"{depth} layers")
            axis.legend(loc="lower left")
        axes[0].set_ylabel("training loss")
        log_scale(axes[0])
        figure.suptitle("8x8 digits, SGD with momentum 0.9, batch 64")
    return figure
