r"""Adagrad: per-coordinate step sizes from the sum of all past squared gradients.

Duchi, Hazan & Singer (2011). As PyTorch runs it (γ lr, η lr_decay, λ
weight_decay, G the accumulator, started at initial_accumulator_value)::

    g ← -g                      if maximize
    g ← g + λ θ                 L2 penalty folded into the gradient
    γ_t ← γ / (1 + (t - 1) η)
    G ← G + g²                  never decreases, so the effective step shrinks
    θ ← θ - γ_t g / (√G + ε)

Lecture vs PyTorch: some notes (e.g. Ruder's 2016 overview) write
``g / √(G + ε)``, ε inside the root; PyTorch, like the paper's δ, adds it
outside, ``√G + ε``, with default 1e-10.
"""
from .. import backend
from ..kernels.elementwise_math import sqrt, where
from .hyperparameters import check_flag, check_lr, check_range
from .optimizer import Optimizer


def adagrad_rule(p, g, G, lr_t, eps, weight_decay, maximize):
    """Adagrad: G accumulates g², the step is γ_t g / (√G + ε)."""
    g = where(maximize, -g, g)
    g = g + weight_decay * p
    G = G + g * g
    p = p - lr_t * g / (sqrt(G) + eps)
    return p, G


class Adagrad(Optimizer):
    """Adagrad (``torch.optim.Adagrad``).

    Args:
        params: Parameters or param-group dicts.
        lr: base learning rate γ (default 1e-2).
        lr_decay: η >= 0, the learning rate at step t is γ / (1 + (t - 1) η).
        weight_decay: λ >= 0, L2 penalty added to the gradient.
        initial_accumulator_value: starting value of G (>= 0).
        eps: ε >= 0, added to √G.
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, *, maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_range("lr_decay", group["lr_decay"], 0)
        check_range("weight_decay", group["weight_decay"], 0)
        check_range("initial_accumulator_value", group["initial_accumulator_value"], 0)
        check_range("eps", group["eps"], 0)
        check_flag("maximize", group["maximize"])

    def _init_state(self, param, group):
        return {"step": 0,
                "sum": backend.xp.full_like(param.array, group["initial_accumulator_value"])}

    def _prepare_update(self, param, group, state):
        state["step"] += 1
        lr_t = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        scalars = (lr_t, group["eps"], group["weight_decay"], group["maximize"])
        return adagrad_rule, [state["sum"]], scalars
