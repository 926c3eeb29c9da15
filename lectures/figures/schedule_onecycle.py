"""Deck 001, "One Cycle": the rate rises to max_lr (the warmup, 30 % of the steps, shaded),
then falls far below where it started; both phases linear, or both half cosines."""
from tinyopt.optim.lr_scheduler import closed_forms as cf
from tinyopt.viz import plot_schedules


def make(fast=False):
    return plot_schedules(
        {"linear": lambda t: cf.one_cycle_lr(t, 0.1, 1000, anneal_strategy="linear"),
         "cosine": lambda t: cf.one_cycle_lr(t, 0.1, 1000, anneal_strategy="cos")},
        steps=1000, warmup={"linear": 300},
        title="One cycle: max_lr 0.1 (start 0.1 / 25), 1000 steps")
