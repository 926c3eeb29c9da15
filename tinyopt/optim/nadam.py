r"""NAdam: Adam with Nesterov momentum, and a warming-up momentum schedule.

Dozat (2016). As PyTorch runs it (γ lr, β₁ β₂ betas, ψ momentum_decay, λ
weight_decay, t the step count)::

    g ← -g                              if maximize
    θ ← θ (1 - γ λ)                     if decoupled_weight_decay
    g ← g + λ θ                         otherwise: L2 in the gradient
    μ_t ← β₁ (1 - ½ · 0.96^(t ψ))       momentum schedule, rising towards β₁
    Π_t ← μ_1 ⋯ μ_t                     (kept in state as mu_product)
    m ← β₁ m + (1 - β₁) g
    v ← β₂ v + (1 - β₂) g²
    s ← √(v / (1 - β₂ᵗ)) + ε
    θ ← θ - γ (1 - μ_t) / (1 - Π_t) · g / s - γ μ_{t+1} / (1 - Π_t μ_{t+1}) · m / s

The two terms are the Nesterov look-ahead: the current gradient, weighted
by its share of the momentum, plus the *next* step's momentum applied to m.

Lecture vs PyTorch: lectures often show NAdam with a constant μ = β₁ and
Adam's bias corrections 1 - β₁ᵗ; PyTorch follows Dozat's schedule μ_t (the
default ψ = 4e-3 makes μ_t start near β₁/2) and its product Π_t. ε is
outside the root, as in Adam.
"""
from .. import backend
from ..kernels.elementwise_math import sqrt, where
from .hyperparameters import check_betas, check_flag, check_lr, check_range
from .optimizer import Optimizer


def nadam_rule(p, g, m, v, lr, beta1, beta2, eps, weight_decay, mu, mu_next, mu_product,
               mu_product_next, bc2, decoupled_weight_decay, maximize):
    """NAdam; mu, mu_next = μ_t, μ_{t+1}; mu_product(_next) = Π_t, Π_t μ_{t+1}; bc2 = 1 - β₂ᵗ."""
    g = where(maximize, -g, g)
    p = where(decoupled_weight_decay, p * (1 - lr * weight_decay), p)
    g = where(decoupled_weight_decay, g, g + weight_decay * p)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    s = sqrt(v / bc2) + eps
    p = p - lr * (1 - mu) / (1 - mu_product) * g / s
    p = p - lr * mu_next / (1 - mu_product_next) * m / s
    return p, m, v


class NAdam(Optimizer):
    """NAdam (``torch.optim.NAdam``).

    Args:
        params: Parameters or param-group dicts.
        lr: learning rate γ (default 2e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε >= 0, added to √v̂ (default 1e-8).
        weight_decay: λ >= 0; L2 penalty in the gradient unless decoupled.
        momentum_decay: ψ >= 0, speed of the momentum warm-up (default 4e-3).
        decoupled_weight_decay: shrink θ by γλ directly (AdamW-style).
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_betas(group["betas"])
        check_range("eps", group["eps"], 0)
        check_range("weight_decay", group["weight_decay"], 0)
        check_range("momentum_decay", group["momentum_decay"], 0)
        check_flag("decoupled_weight_decay", group["decoupled_weight_decay"])
        check_flag("maximize", group["maximize"])

    def _init_state(self, param, group):
        return {"step": 0, "mu_product": 1.0, "exp_avg": backend.xp.zeros_like(param.array),
                "exp_avg_sq": backend.xp.zeros_like(param.array)}

    def _prepare_update(self, param, group, state):
        state["step"] += 1
        t = state["step"]
        beta1, beta2 = group["betas"]
        psi = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        scalars = (group["lr"], beta1, beta2, group["eps"], group["weight_decay"], mu, mu_next,
                   state["mu_product"], state["mu_product"] * mu_next, 1 - beta2 ** t,
                   group["decoupled_weight_decay"], group["maximize"])
        return nadam_rule, [state["exp_avg"], state["exp_avg_sq"]], scalars
