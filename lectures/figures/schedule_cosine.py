"""Deck 001, "Cosine Annealing": η_t = η_min + ½ (η_max - η_min)(1 + cos(π T_cur / T_max)),
to η_min = 0 and to η_min = 0.01, and SGDR's warm restarts (the cosine restarted every 30)."""
from tinyopt.optim.lr_scheduler import closed_forms as cf
from tinyopt.viz import plot_schedules


def make(fast=False):
    return plot_schedules(
        {"cosine to 0": lambda t: cf.cosine_annealing_lr(t, 0.1, T_max=90),
         "cosine to 0.01": lambda t: cf.cosine_annealing_lr(t, 0.1, T_max=90, eta_min=0.01),
         "warm restarts, T₀ 30": lambda t: cf.cosine_warm_restarts_lr(t, 0.1, T_0=30)},
        steps=90, title="Cosine annealing from lr 0.1 over 90 epochs")
