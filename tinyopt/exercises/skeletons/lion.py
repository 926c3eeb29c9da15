r"""Exercise lion: Lion (Chen et al. 2023, Algorithm 2).

Write ``step()``. For each parameter (γ lr, β₁ β₂ betas, λ weight_decay)::

    θ ← θ (1 - γ λ)                 decoupled weight decay
    c ← β₁ m + (1 - β₁) g           interpolate the OLD momentum and g ...
    θ ← θ - γ sign(c)               ... and step by the sign only
    m ← β₂ m + (1 - β₂) g           then update the momentum (β₂ > β₁)

Hint: the two betas have different jobs; swapping them still trains, but
not as Lion. One state tensor per parameter.

Check: ``tinyopt check lion --file lion.py``.
"""
import tinyopt
from tinyopt.optim import Optimizer


class Lion(Optimizer):
    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                raise NotImplementedError("exercise: Lion.step: decay, sign step, then the "
                                          "momentum (see the docstring)")
