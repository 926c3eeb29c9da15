r"""Exercise adamw: AdamW, Adam with decoupled weight decay, as torch.optim.AdamW.

Write ``step()``. For each parameter (γ lr, β₁ β₂ betas, λ weight_decay, t
the step count, 1 on the first step)::

    θ ← θ (1 - γ λ)                 decoupled decay, BEFORE the Adam step
    m ← β₁ m + (1 - β₁) g           on the raw gradient (no λθ in it)
    v ← β₂ v + (1 - β₂) g²
    m̂ ← m / (1 - β₁ᵗ),  v̂ ← v / (1 - β₂ᵗ)
    θ ← θ - γ m̂ / (√v̂ + ε)

Hint: with L2 (Adam's weight_decay) the penalty passes through v and is
rescaled per coordinate; decoupled, every weight decays at the same rate.

Check: ``tinyopt check adamw --file adamw.py``.
"""
import tinyopt
from tinyopt.optim import Optimizer


class AdamW(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                raise NotImplementedError("exercise: AdamW.step: decoupled decay, moments, "
                                          "bias correction, update (see the docstring)")
