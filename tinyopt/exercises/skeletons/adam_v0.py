r"""Exercise adam_v0: Adam without bias correction ("Adam v0").

Write ``step()``. For each parameter (γ lr, β₁ β₂ betas, λ weight_decay)::

    g ← g + λ θ
    m ← β₁ m + (1 - β₁) g
    v ← β₂ v + (1 - β₂) g²
    θ ← θ - γ m / (√v + ε)          no division by 1 - βᵗ

Hint: with the default betas the first step is (1 - β₁)/√(1 - β₂) ≈ 3.16 γ
per coordinate: compare with your adam. Keep m and v in ``self.state[p]``.

Check: ``tinyopt check adam_v0 --file adam_v0.py``.
"""
import tinyopt
from tinyopt.optim import Optimizer


class AdamV0(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                raise NotImplementedError("exercise: AdamV0.step: moments and the update, "
                                          "no bias correction (see the docstring)")
