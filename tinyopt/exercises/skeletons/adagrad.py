r"""Exercise adagrad: Adagrad, as torch.optim.Adagrad.

Write ``step()``. For each parameter (γ lr, η lr_decay, λ weight_decay, t
the step count, 1 on the first step; G starts at initial_accumulator_value)::

    g ← g + λ θ
    γ_t ← γ / (1 + (t - 1) η)
    G ← G + g²
    θ ← θ - γ_t g / (√G + ε)        ε outside the root

Hint: G only grows, so every coordinate's step only shrinks. Create G
(``tinyopt.full_like`` or ``numpy.full_like``) the first time you see p.

Check: ``tinyopt check adagrad --file adagrad.py``.
"""
import tinyopt
from tinyopt.optim import Optimizer


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                raise NotImplementedError("exercise: Adagrad.step: accumulate g*g and "
                                          "scale the step (see the docstring)")
