"""Deck 002, "RProp → RMSProp → Adam v0 → Adam → AdamW → Lion" on Rosenbrock, 300 steps: the
deck's RProp (m = J/‖J‖ + μm: every step the same length, lr), RMSProp with momentum, Adam v0
(its first step is 45 lr long: v starts at zero), Adam, AdamW, Lion (sign steps)."""
from _deck_optimizers import AdamV0, DeckRProp
from _race import race
from tinyopt import optim

OPTIMIZERS = {
    "RProp (deck), lr 0.003": lambda p: DeckRProp(p, lr=3e-3, momentum=0.9),
    "RMSProp, momentum, lr 0.01": lambda p: optim.RMSprop(p, lr=0.01, momentum=0.9),
    "Adam v0, lr 0.01": lambda p: AdamV0(p, lr=0.01, momentum=0.9),
    "Adam, lr 0.2": lambda p: optim.Adam(p, lr=0.2),
    "AdamW, lr 0.2, wd 0.01": lambda p: optim.AdamW(p, lr=0.2, weight_decay=0.01),
    "Lion, lr 0.01": lambda p: optim.Lion(p, lr=0.01),
}


def make(fast=False):
    return race("rosenbrock", OPTIMIZERS, 100 if fast else 300)
