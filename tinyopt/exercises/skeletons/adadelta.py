r"""Exercise adadelta: Adadelta, as torch.optim.Adadelta.

Write ``step()``. For each parameter (γ lr, ρ rho, λ weight_decay)::

    g ← g + λ θ
    v ← ρ v + (1 - ρ) g²                running mean of g²
    Δ ← √(u + ε) / √(v + ε) · g         u from the previous step
    u ← ρ u + (1 - ρ) Δ²                running mean of Δ²
    θ ← θ - γ Δ

Hint: the order matters: Δ uses the old u, then u takes Δ². ε is inside
both roots here, as in the paper and PyTorch.

Check: ``tinyopt check adadelta --file adadelta.py``.
"""
import tinyopt
from tinyopt.optim import Optimizer


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                raise NotImplementedError("exercise: Adadelta.step: the two running means "
                                          "and the unit-correct step (see the docstring)")
