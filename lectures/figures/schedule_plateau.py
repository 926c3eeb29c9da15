"""Deck 001, "Reduce on plateau": the rate is cut (× 0.3) whenever the validation loss has not
improved for 3 epochs, in a real run (3-layer net, digits, SGD momentum 0.9): each step down in
the rate (bottom) comes just after the validation loss (top) stopped falling."""
import numpy
from _digits import deep_mlp, loaders
from tinyopt import nn, optim
from tinyopt.optim.lr_scheduler import ReduceLROnPlateau
from tinyopt.train import fit
from tinyopt.viz import new_figure
from tinyopt.viz.style import color, lecture_style, log_scale


def make(fast=False):
    train, test = loaders()
    model = deep_mlp(3)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = ReduceLROnPlateau(optimizer, factor=0.3, patience=3)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs=8 if fast else 40,
                  val_loader=test, progress=False, scheduler=scheduler,
                  scheduler_metric="val_loss")
    epochs = numpy.arange(1, len(history.epochs["val_loss"]) + 1)
    steps = numpy.arange(1, len(history.steps["lr"]) + 1) / len(train)
    lrs = history.steps["lr"]
    cuts = [f"{s:.2f}: {lr:.3g}" for s, lr, before in zip(steps[1:], lrs[1:], lrs) if lr < before]
    print("rate cut at epoch: new rate", ", ".join(cuts))
    with lecture_style():
        figure, (loss_axis, lr_axis) = new_figure(2, 1, panel_size=(9.0, 3.6), sharex=True)
        loss_axis.plot(epochs, history.epochs["val_loss"], color=color(0), marker="o",
                       label="validation loss (watched)")
        loss_axis.plot(epochs, history.epochs["train_loss"], color=color(1), label="training")
        lr_axis.plot(steps, history.steps["lr"], color=color(2))
        loss_axis.set(ylabel="loss", title="ReduceLROnPlateau(factor=0.3, patience=3)")
        lr_axis.set(xlabel="epoch", ylabel="learning rate")
        log_scale(loss_axis)
        log_scale(lr_axis)
        loss_axis.legend()
    return figure
