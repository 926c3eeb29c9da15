r"""Adadelta: RMSprop whose step size is itself a running RMS of past updates.

Zeiler (2012). As PyTorch runs it (γ lr, ρ rho, λ weight_decay)::

    g ← -g                          if maximize
    g ← g + λ θ                     L2 penalty folded into the gradient
    v ← ρ v + (1 - ρ) g²            running mean of g²      (E[g²])
    Δ ← √(u + ε) / √(v + ε) · g     unit-correct update
    u ← ρ u + (1 - ρ) Δ²            running mean of Δ²      (E[Δθ²])
    θ ← θ - γ Δ

Lecture vs PyTorch: the paper has no learning rate (γ = 1, PyTorch's
default); PyTorch keeps γ so schedulers can act on it. Here ε sits inside
both roots, as in the paper.
"""
from .. import backend
from ..kernels.elementwise_math import sqrt, where
from .hyperparameters import check_flag, check_lr, check_range
from .optimizer import Optimizer


def adadelta_rule(p, g, v, u, lr, rho, eps, weight_decay, maximize):
    """Adadelta: the update's scale is RMS[Δθ] / RMS[g]."""
    g = where(maximize, -g, g)
    g = g + weight_decay * p
    v = rho * v + (1 - rho) * g * g
    delta = sqrt(u + eps) / sqrt(v + eps) * g
    u = rho * u + (1 - rho) * delta * delta
    p = p - lr * delta
    return p, v, u


class Adadelta(Optimizer):
    """Adadelta (``torch.optim.Adadelta``).

    Args:
        params: Parameters or param-group dicts.
        lr: γ >= 0, scales the update (default 1.0, the paper's algorithm).
        rho: ρ in [0, 1], decay of both running means (default 0.9).
        eps: ε >= 0, inside both roots (default 1e-6).
        weight_decay: λ >= 0, L2 penalty added to the gradient.
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_range("rho", group["rho"], 0, 1, "[]")
        check_range("eps", group["eps"], 0)
        check_range("weight_decay", group["weight_decay"], 0)
        check_flag("maximize", group["maximize"])

    def _init_state(self, param, group):
        return {"step": 0, "square_avg": backend.xp.zeros_like(param.array),
                "acc_delta": backend.xp.zeros_like(param.array)}

    def _prepare_update(self, param, group, state):
        state["step"] += 1
        scalars = (group["lr"], group["rho"], group["eps"], group["weight_decay"],
                   group["maximize"])
        return adadelta_rule, [state["square_avg"], state["acc_delta"]], scalars
