"""Deck 001, "Batch GD" and "SGD and mini-batch": the linear model on the digits at lr 0.1 with
the gradient of all 1438 images, of 32, or of one. Per update (right) the full batch is smooth,
one image noisy; per pass over the data (left) one image goes furthest: 1438 updates to one."""
import numpy
from _digits import deep_mlp, loaders
from tinyopt import nn, optim
from tinyopt.train import fit
from tinyopt.viz import new_figure
from tinyopt.viz.style import color, lecture_style, log_scale

UPDATES = 50


def make(fast=False):
    whole, _ = loaders(1438)
    with lecture_style():
        figure, (epoch_axis, step_axis) = new_figure(1, 2, panel_size=(7.0, 4.8))
        for index, (label, size) in enumerate((("batch GD", 1438), ("mini-batch 32", 32),
                                               ("SGD, one image", 1))):
            train, _ = loaders(size)
            epochs = {1438: UPDATES, 32: 5}.get(size, 1 if fast else 5)
            model = deep_mlp(1)
            history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                          train, epochs=epochs, val_loader=None if size == 1438 else whole,
                          progress=False)  # batch GD's own loss is the training-set loss
            per_epoch = history.epochs["val_loss"] or history.steps["loss"][1:6]
            print(label, "training-set loss per epoch:", ", ".join(f"{x:.3g}" for x in per_epoch))
            epoch_axis.plot(range(1, len(per_epoch) + 1), per_epoch, color=color(index),
                            marker="o", label=f"{label} ({len(train)} per epoch)")
            step_axis.plot(numpy.arange(1, UPDATES + 1), history.steps["loss"][:UPDATES],
                           color=color(index), linewidth=1.2)
        epoch_axis.set(xlabel="epoch", ylabel="loss on the training set", title="Per epoch")
        step_axis.set(xlabel="update", ylabel="loss of the update's batch",
                      title=f"Per update, the first {UPDATES}")
        for axis in (epoch_axis, step_axis):
            log_scale(axis)
        figure.legend(*epoch_axis.get_legend_handles_labels(), loc="outside lower center",
                      ncols=3)
        figure.suptitle("Linear model on the 8x8 digits, SGD lr 0.1")
    return figure
