r"""RAdam: Adam with its adaptive step switched on only once v̂ has a usable variance.

Liu et al. (2020). As PyTorch runs it (γ lr, β₁ β₂ betas, λ weight_decay, t
the step count)::

    g ← -g                          if maximize
    θ ← θ (1 - γ λ)                 if decoupled_weight_decay
    g ← g + λ θ                     otherwise: L2 in the gradient
    m ← β₁ m + (1 - β₁) g
    v ← β₂ v + (1 - β₂) g²
    m̂ ← m / (1 - β₁ᵗ)
    ρ_∞ ← 2 / (1 - β₂) - 1
    ρ_t ← ρ_∞ - 2 t β₂ᵗ / (1 - β₂ᵗ)          length of the SMA of g² so far
    if ρ_t > 5:   r_t ← √((ρ_t - 4)(ρ_t - 2) ρ_∞ / ((ρ_∞ - 4)(ρ_∞ - 2) ρ_t))
                  θ ← θ - γ m̂ r_t √(1 - β₂ᵗ) / (√v + ε)
    else:         θ ← θ - γ m̂                SGD with momentum while warming up

Lecture vs PyTorch: the paper's threshold is ρ_t > 4 and it divides by
√v̂ = √(v / (1 - β₂ᵗ)) with no ε; PyTorch switches at ρ_t > 5 and adds ε to
√v before the bias correction, i.e. ε/√(1 - β₂ᵗ) relative to √v̂.
"""
import math

from .. import backend
from ..kernels.elementwise_math import sqrt, where
from .hyperparameters import check_betas, check_flag, check_lr, check_range
from .optimizer import Optimizer


def radam_rule(p, g, m, v, lr, beta1, beta2, eps, weight_decay, bc1, bc2, rectified, r,
               decoupled_weight_decay, maximize):
    """RAdam; bc1, bc2 = 1 - β₁ᵗ, 1 - β₂ᵗ; r = r_t, used only when ``rectified`` (ρ_t > 5)."""
    g = where(maximize, -g, g)
    p = where(decoupled_weight_decay, p * (1 - lr * weight_decay), p)
    g = where(decoupled_weight_decay, g, g + weight_decay * p)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / bc1
    adaptive = where(rectified, r * sqrt(bc2) / (sqrt(v) + eps), 1.0)
    p = p - lr * m_hat * adaptive
    return p, m, v


class RAdam(Optimizer):
    """RAdam (``torch.optim.RAdam``).

    Args:
        params: Parameters or param-group dicts.
        lr: learning rate γ (default 1e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε >= 0, added to √v (default 1e-8).
        weight_decay: λ >= 0; L2 penalty in the gradient unless decoupled.
        decoupled_weight_decay: shrink θ by γλ directly (AdamW-style).
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_betas(group["betas"])
        check_range("eps", group["eps"], 0)
        check_range("weight_decay", group["weight_decay"], 0)
        check_flag("decoupled_weight_decay", group["decoupled_weight_decay"])
        check_flag("maximize", group["maximize"])

    def _init_state(self, param, group):
        return {"step": 0, "exp_avg": backend.xp.zeros_like(param.array),
                "exp_avg_sq": backend.xp.zeros_like(param.array)}

    def _prepare_update(self, param, group, state):
        state["step"] += 1
        t = state["step"]
        beta1, beta2 = group["betas"]
        bc1, bc2 = 1 - beta1 ** t, 1 - beta2 ** t
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2 ** t / bc2
        rectified = rho_t > 5.0
        r = 0.0
        if rectified:
            r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                          / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        scalars = (group["lr"], beta1, beta2, group["eps"], group["weight_decay"], bc1, bc2,
                   rectified, r, group["decoupled_weight_decay"], group["maximize"])
        return radam_rule, [state["exp_avg"], state["exp_avg_sq"]], scalars
