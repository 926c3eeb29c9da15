r"""SGD: stochastic gradient descent, plain or with (Nesterov) momentum.

The algorithm, as PyTorch runs it (γ lr, μ momentum, τ dampening, λ weight_decay)::

    g ← -g                      if maximize
    g ← g + λ θ                 L2 penalty folded into the gradient
    b ← g                       on the first step (no dampening)
    b ← μ b + (1 - τ) g         afterwards
    d ← g + μ b  if nesterov,  else  d ← b        (d ← g when μ = 0)
    θ ← θ - γ d

Lecture vs PyTorch: lectures (and Sutskever et al., 2013) often write
momentum as a velocity with the learning rate inside, ``v ← μ v - γ g;
θ ← θ + v``. PyTorch keeps γ outside the buffer. Both give the same
iterates while γ is constant; once a scheduler changes γ, PyTorch's new γ
scales the whole accumulated buffer at once. Nesterov momentum here is the
"gradient look-ahead" reformulation ``d = g + μ b``, not a gradient evaluated
at the shifted point ``θ + μ v``.
"""
from .. import backend
from ..kernels.elementwise_math import where
from .hyperparameters import check_flag, check_lr, check_range
from .optimizer import Optimizer


def sgd_rule(p, g, lr, weight_decay, maximize):
    """Gradient descent: θ ← θ - γ (g + λ θ)."""
    g = where(maximize, -g, g)
    g = g + weight_decay * p
    return p - lr * g


def sgd_momentum_rule(p, g, b, lr, momentum, dampening, weight_decay, nesterov, maximize,
                      first_step):
    """Heavy-ball or Nesterov momentum, PyTorch's form (buffer b of raw gradients)."""
    g = where(maximize, -g, g)
    g = g + weight_decay * p
    b = where(first_step, g, momentum * b + (1 - dampening) * g)
    d = where(nesterov, g + momentum * b, b)
    p = p - lr * d
    return p, b


class SGD(Optimizer):
    """Stochastic gradient descent (``torch.optim.SGD``), optionally with momentum.

    Args:
        params: Parameters or param-group dicts.
        lr: learning rate γ (default 1e-3).
        momentum: μ >= 0; 0 is plain gradient descent.
        dampening: τ, scales the new gradient in the buffer: ``b ← μ b + (1 - τ) g``.
        weight_decay: λ >= 0, L2 penalty added to the gradient.
        nesterov: Nesterov momentum (needs momentum > 0 and dampening = 0).
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_range("momentum", group["momentum"], 0)
        check_range("weight_decay", group["weight_decay"], 0)
        check_flag("nesterov", group["nesterov"])
        check_flag("maximize", group["maximize"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _init_state(self, param, group):
        # Like PyTorch: no state without momentum; the buffer is born on the first step.
        return {"momentum_buffer": None} if group["momentum"] != 0 else {}

    def _prepare_update(self, param, group, state):
        if group["momentum"] == 0:
            return sgd_rule, [], (group["lr"], group["weight_decay"], group["maximize"])
        first_step = state["momentum_buffer"] is None
        if first_step:
            state["momentum_buffer"] = backend.xp.zeros_like(param.array)
        scalars = (group["lr"], group["momentum"], group["dampening"], group["weight_decay"],
                   group["nesterov"], group["maximize"], first_step)
        return sgd_momentum_rule, [state["momentum_buffer"]], scalars
