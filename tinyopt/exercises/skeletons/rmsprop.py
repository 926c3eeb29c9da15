r"""Exercise rmsprop: RMSprop, as torch.optim.RMSprop (centered, momentum, Nesterov: the bonus).

Write ``step()``. For each parameter (γ lr, α alpha, μ momentum, λ weight_decay)::

    g ← g + λ θ
    v ← α v + (1 - α) g²            running mean of g²
    ḡ ← α ḡ + (1 - α) g             centered only: running mean of g
    s ← √(v - ḡ²) + ε  if centered,  else  s ← √v + ε
    b ← μ b + g / s                 momentum only
    θ ← θ - γ b                     (θ ← θ - γ g / s when μ = 0)
    θ ← θ - γ (g / s + μ b)         instead, if nesterov (bonus; needs μ > 0)

Nesterov's look-ahead is SGD's (``torch.optim.SGD(nesterov=True)``) applied to the
scaled gradient g / s; PyTorch's RMSprop has no such option, optax's
``rmsprop(nesterov=True)`` is this one.

Hint: ε sits outside the root, as in PyTorch (many notes put it inside).

Check: ``tinyopt check rmsprop --file rmsprop.py``.
"""
import tinyopt
from tinyopt.optim import Optimizer


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, nesterov=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, nesterov=nesterov))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                raise NotImplementedError("exercise: RMSprop.step: running mean of g*g and "
                                          "the scaled step (see the docstring)")
