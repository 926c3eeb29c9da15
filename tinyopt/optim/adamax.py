r"""Adamax: Adam with the infinity norm in place of the second moment.

Kingma & Ba (2015), section 7.1. As PyTorch runs it (γ lr, β₁ β₂ betas, λ
weight_decay, t the step count)::

    g ← -g                          if maximize
    g ← g + λ θ                     L2 penalty folded into the gradient
    m ← β₁ m + (1 - β₁) g
    u ← max(β₂ u, |g| + ε)          exponentially weighted infinity norm
    θ ← θ - γ / (1 - β₁ᵗ) · m / u

u needs no bias correction: a max is not pulled towards its zero start.

Lecture vs PyTorch: the paper has no ε (``u ← max(β₂ u, |g|)``); PyTorch
adds ε to |g| inside the max, which keeps u > 0 when gradients are zero.
"""
from .. import backend
from ..kernels.elementwise_math import abs, maximum, where
from .hyperparameters import check_betas, check_flag, check_lr, check_range
from .optimizer import Optimizer


def adamax_rule(p, g, m, u, lr, beta1, beta2, eps, weight_decay, bc1, maximize):
    """Adamax; bc1 = 1 - β₁ᵗ."""
    g = where(maximize, -g, g)
    g = g + weight_decay * p
    m = beta1 * m + (1 - beta1) * g
    u = maximum(beta2 * u, abs(g) + eps)
    p = p - lr / bc1 * m / u
    return p, m, u


class Adamax(Optimizer):
    """Adamax (``torch.optim.Adamax``).

    Args:
        params: Parameters or param-group dicts.
        lr: learning rate γ (default 2e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε >= 0, added to |g| inside the max (default 1e-8).
        weight_decay: λ >= 0, L2 penalty added to the gradient.
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_betas(group["betas"])
        check_range("eps", group["eps"], 0)
        check_range("weight_decay", group["weight_decay"], 0)
        check_flag("maximize", group["maximize"])

    def _init_state(self, param, group):
        return {"step": 0, "exp_avg": backend.xp.zeros_like(param.array),
                "exp_inf": backend.xp.zeros_like(param.array)}

    def _prepare_update(self, param, group, state):
        state["step"] += 1
        beta1, beta2 = group["betas"]
        scalars = (group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                   1 - beta1 ** state["step"], group["maximize"])
        return adamax_rule, [state["exp_avg"], state["exp_inf"]], scalars
