r"""Exercise adam: Adam with bias correction, as torch.optim.Adam.

Write ``step()``. For each parameter (γ lr, β₁ β₂ betas, λ weight_decay,
t the parameter's step count, 1 on the first step)::

    g ← g + λ θ                     Adam's weight decay is L2
    m ← β₁ m + (1 - β₁) g           first moment
    v ← β₂ v + (1 - β₂) g²          second moment
    m̂ ← m / (1 - β₁ᵗ),  v̂ ← v / (1 - β₂ᵗ)     bias correction
    θ ← θ - γ m̂ / (√v̂ + ε)          ε outside the root

Hint: m and v start at zero, so without the correction the first steps are
far too small (or large). Keep m, v and t in ``self.state[p]`` (any key
names). PyTorch way: ``exp_avg.lerp_(g, 1 - beta1)``,
``exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)``,
``p.addcdiv_(m_hat, denom, value=-lr)``; NumPy style or an update rule work too.

Check: ``tinyopt check adam --file adam.py``.
"""
import tinyopt
from tinyopt.optim import Optimizer


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                raise NotImplementedError("exercise: Adam.step: moments, bias correction "
                                          "and the update (see the docstring)")
