r"""Exercise lars: LARS, SGD with momentum and a trust ratio per layer (You et al. 2017).

Write ``step()``. For each parameter tensor θ (γ lr, μ momentum, τ
dampening, λ weight_decay, η trust_coefficient)::

    ρ ← η ‖θ‖ / (‖g‖ + λ ‖θ‖)        the trust ratio; 1 if ‖θ‖ = 0 or the denominator is 0
    d ← ρ (g + λ θ)                  weight decay inside the scaled step
    b ← d on the first step, then  b ← μ b + (1 - τ) d
    d ← d + μ b  if nesterov,  else  d ← b
    θ ← θ - γ d

With ``exclude_1d=True`` tensors with ``ndim <= 1`` (biases) get ρ = 1 and
λ = 0: plain SGD with momentum.

Hint: norms are whole-tensor reductions (``float(tinyopt.norm(p))``); the
rest is elementwise. Keep b in ``self.state[p]`` (any key name).

Check: ``tinyopt check lars --file lars.py``.
"""
import tinyopt
from tinyopt.optim import Optimizer


class LARS(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.9, dampening=0, weight_decay=0,
                 nesterov=False, trust_coefficient=1e-3, exclude_1d=True):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      trust_coefficient=trust_coefficient, exclude_1d=exclude_1d))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                raise NotImplementedError("exercise: LARS.step: the trust ratio, the scaled "
                                          "step and its momentum (see the docstring)")
