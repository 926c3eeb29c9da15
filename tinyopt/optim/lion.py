r"""Lion: the sign of an interpolated momentum, one state tensor.

Chen et al. (2023), "Symbolic Discovery of Optimization Algorithms",
Algorithm 2 (γ lr, β₁ β₂ betas, λ weight_decay)::

    g ← -g                          if maximize
    θ ← θ (1 - γ λ)                 decoupled weight decay, as AdamW
    c ← β₁ m + (1 - β₁) g           interpolate momentum and gradient ...
    θ ← θ - γ sign(c)               ... and step by its sign only
    m ← β₂ m + (1 - β₂) g           the momentum, with a longer memory (β₂ > β₁)

Every coordinate moves by exactly ±γ (0 where c = 0), so the update has a
larger norm than Adam's: the paper's advice is a learning rate 3-10x
smaller than AdamW's and a weight decay 3-10x larger, keeping the decay
strength γλ. Only m is kept: half of Adam's state.

Lecture vs PyTorch: there is no ``torch.optim.Lion``; arguments and
defaults follow the paper and the common PyTorch ports (lion-pytorch,
pytorch-optimizer): ``lr=1e-4, betas=(0.9, 0.99), weight_decay=0``.
"""
from .. import backend
from ..kernels.elementwise_math import sign, where
from .hyperparameters import check_betas, check_flag, check_lr, check_range
from .optimizer import Optimizer


def lion_rule(p, g, m, lr, beta1, beta2, weight_decay, maximize):
    """One Lion step: θ ← θ(1 - γλ) - γ sign(β₁ m + (1 - β₁) g); m ← β₂ m + (1 - β₂) g."""
    g = where(maximize, -g, g)
    p = p * (1 - lr * weight_decay)
    c = beta1 * m + (1 - beta1) * g
    p = p - lr * sign(c)
    m = beta2 * m + (1 - beta2) * g
    return p, m


class Lion(Optimizer):
    """Lion (Chen et al. 2023), purely elementwise: any executor runs ``lion_rule``.

    Args:
        params: Parameters or param-group dicts.
        lr: learning rate γ >= 0 (default 1e-4).
        betas: (β₁, β₂), each in [0, 1): β₁ mixes the gradient into the
            sign, β₂ is the momentum's decay (default (0.9, 0.99)).
        weight_decay: λ >= 0, decoupled: each step shrinks θ by 1 - γλ.
        maximize: ascend the objective instead of descending.

    Example::

        >>> opt = Lion(model.parameters(), lr=3e-4, weight_decay=0.1)
    """

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, *, maximize=False):
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_betas(group["betas"])
        check_range("weight_decay", group["weight_decay"], 0)
        check_flag("maximize", group["maximize"])

    def _init_state(self, param, group):
        return {"step": 0, "exp_avg": backend.xp.zeros_like(param.array)}

    def _prepare_update(self, param, group, state):
        state["step"] += 1
        beta1, beta2 = group["betas"]
        scalars = (group["lr"], beta1, beta2, group["weight_decay"], group["maximize"])
        return lion_rule, [state["exp_avg"]], scalars
