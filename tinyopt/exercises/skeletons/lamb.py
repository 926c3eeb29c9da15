r"""Exercise lamb: LAMB, Adam's direction rescaled per layer (You et al. 2020).

Write ``step()``. For each parameter tensor θ (γ lr, β₁ β₂ betas, λ
weight_decay, t the step count, 1 on the first step)::

    m ← β₁ m + (1 - β₁) g,   v ← β₂ v + (1 - β₂) g²
    m̂ ← m / (1 - β₁ᵗ),  v̂ ← v / (1 - β₂ᵗ)
    u ← m̂ / (√v̂ + ε) + λ θ           Adam's direction plus decoupled decay
    ρ ← ‖θ‖ / ‖u‖                    1 if either norm is 0
    θ ← θ - γ ρ u

Hint: ρ makes every tensor move by γ‖θ‖ per step; without it this is AdamW.
Every tensor is adapted, biases included.

Check: ``tinyopt check lamb --file lamb.py``.
"""
import tinyopt
from tinyopt.optim import Optimizer


class LAMB(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                raise NotImplementedError("exercise: LAMB.step: moments, the direction u, the "
                                          "trust ratio and the step (see the docstring)")
