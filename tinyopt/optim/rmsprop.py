r"""RMSprop: divide the gradient by a running root-mean-square of recent gradients.

Hinton's lecture 6e (2012); the centered form from Graves (2013). As PyTorch
runs it (γ lr, α alpha, μ momentum, λ weight_decay)::

    g ← -g                      if maximize
    g ← g + λ θ                 L2 penalty folded into the gradient
    v ← α v + (1 - α) g²        running mean of g²
    ḡ ← α ḡ + (1 - α) g         centered only: running mean of g
    s ← √(v - ḡ²) + ε  if centered,  else  s ← √v + ε
    b ← μ b + g / s             momentum only (b = g / s when μ = 0)
    θ ← θ - γ b

Lecture vs PyTorch: Hinton's slides have no ε and many notes write
``g / √(v + ε)``; PyTorch adds ε outside the root. With momentum, PyTorch
accumulates the *scaled* gradient ``g / s`` in the buffer and keeps γ
outside it, so a changed γ applies to the whole buffer at once.
"""
from .. import backend
from ..kernels.elementwise_math import sqrt, where
from .hyperparameters import check_flag, check_lr, check_range
from .optimizer import Optimizer


def rmsprop_rule(p, g, v, b, g_avg, lr, alpha, eps, weight_decay, momentum, centered, maximize):
    """RMSprop, optionally centered and with momentum (b and g_avg read 0 when not kept)."""
    g = where(maximize, -g, g)
    g = g + weight_decay * p
    v = alpha * v + (1 - alpha) * g * g
    g_avg = alpha * g_avg + (1 - alpha) * g
    s = sqrt(where(centered, v - g_avg * g_avg, v)) + eps
    b = momentum * b + g / s
    p = p - lr * b
    return p, v, b, g_avg


class RMSprop(Optimizer):
    """RMSprop (``torch.optim.RMSprop``).

    Args:
        params: Parameters or param-group dicts.
        lr: learning rate γ (default 1e-2).
        alpha: α >= 0, smoothing constant of the running means (default 0.99).
        eps: ε >= 0, added to the root.
        weight_decay: λ >= 0, L2 penalty added to the gradient.
        momentum: μ >= 0, momentum on the scaled gradient.
        centered: normalise by the running variance (v - ḡ²) instead of v.
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_range("alpha", group["alpha"], 0)
        check_range("eps", group["eps"], 0)
        check_range("weight_decay", group["weight_decay"], 0)
        check_range("momentum", group["momentum"], 0)
        check_flag("centered", group["centered"])
        check_flag("maximize", group["maximize"])

    def _init_state(self, param, group):
        state = {"step": 0, "square_avg": backend.xp.zeros_like(param.array)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = backend.xp.zeros_like(param.array)
        if group["centered"]:
            state["grad_avg"] = backend.xp.zeros_like(param.array)
        return state

    def _prepare_update(self, param, group, state):
        state["step"] += 1
        arrays = [state["square_avg"], state.get("momentum_buffer"), state.get("grad_avg")]
        scalars = (group["lr"], group["alpha"], group["eps"], group["weight_decay"],
                   group["momentum"], group["centered"], group["maximize"])
        return rmsprop_rule, arrays, scalars
