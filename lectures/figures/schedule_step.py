"""Deck 001, "Step Decay": η = η₀ γ^⌊epoch / step_size⌋ — the deck's 0.1 → 0.01 → 0.001 at
epochs 30 and 60 (γ = 0.1), next to the gentler γ = 0.5 of the hyper-parameter table."""
from tinyopt.optim.lr_scheduler import closed_forms as cf
from tinyopt.viz import plot_schedules


def make(fast=False):
    return plot_schedules(
        {"step_size 30, γ 0.1": lambda epoch: cf.step_lr(epoch, 0.1, step_size=30, gamma=0.1),
         "step_size 30, γ 0.5": lambda epoch: cf.step_lr(epoch, 0.1, step_size=30, gamma=0.5)},
        steps=90, log_y=True, title="Step decay from lr 0.1 over 90 epochs")
