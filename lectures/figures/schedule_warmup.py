"""Deck 001, "Warm-up Strategy": a linear warmup over the first 10 % of the steps (the deck's
share for transformers, shaded), then the cosine; next to the cosine without warmup."""
from tinyopt.optim.lr_scheduler import closed_forms as cf
from tinyopt.viz import plot_schedules


def make(fast=False):
    return plot_schedules(
        {"warmup 100 + cosine": lambda t: cf.warmup_cosine_lr(t, 1e-3, 100, 1000),
         "cosine only": lambda t: cf.cosine_annealing_lr(t, 1e-3, T_max=1000)},
        steps=1000, warmup={"warmup 100 + cosine": 100},
        title="Warmup then cosine, peak lr 1e-3, 1000 steps")
