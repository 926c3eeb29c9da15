"""Deck 001, "Common optimizers family": the eight on Rosenbrock's curved valley, 300 steps,
each at a rate that suits it. SGD is still on its way; momentum and Nesterov get there; Adagrad
slows as its rate shrinks; RMSprop's first step is 10 lr (its v starts at zero, no bias
correction), Adam and AdamW follow the valley (AdamW's decay pulls towards the origin); Lion's
fixed-size sign steps, at a twentieth of Adam's rate, get there too."""
from _race import race
from tinyopt import optim

OPTIMIZERS = {
    "SGD, lr 0.001": lambda p: optim.SGD(p, lr=1e-3),
    "momentum, lr 0.001": lambda p: optim.SGD(p, lr=1e-3, momentum=0.9),
    "Nesterov, lr 0.001": lambda p: optim.SGD(p, lr=1e-3, momentum=0.9, nesterov=True),
    "Adagrad, lr 1": lambda p: optim.Adagrad(p, lr=1.0),
    "RMSprop, lr 0.2": lambda p: optim.RMSprop(p, lr=0.2),
    "Adam, lr 0.2": lambda p: optim.Adam(p, lr=0.2),
    "AdamW, lr 0.2, wd 0.01": lambda p: optim.AdamW(p, lr=0.2, weight_decay=0.01),
    "Lion, lr 0.01": lambda p: optim.Lion(p, lr=0.01),
}


def make(fast=False):
    figure = race("rosenbrock", OPTIMIZERS, 100 if fast else 300)
    figure.axes[6].title.set_color("#A08C00")  # the palette's yellow is unreadable as text
    return figure
