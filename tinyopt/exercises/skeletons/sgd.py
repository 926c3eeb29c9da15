r"""Exercise sgd: SGD with momentum, dampening and Nesterov, as torch.optim.SGD.

Write ``step()``. Each parameter ``p`` with a gradient ``g = p.grad`` is
updated with its group's hyper-parameters (γ lr, μ momentum, τ dampening,
λ weight_decay)::

    g ← g + λ θ                 L2 penalty folded into the gradient
    b ← g                       on the first step: exactly g, no dampening
    b ← μ b + (1 - τ) g         afterwards          (b is the momentum buffer)
    d ← g + μ b  if nesterov,  else  d ← b          (d ← g when μ = 0)
    θ ← θ - γ d

Hint: keep ``b`` in ``self.state[p]`` (any key name: the grader matches
state entries by value); ``'momentum_buffer' not in state`` tells the first
step. Write it the PyTorch way (``p.add_(d, alpha=-lr)``, ``buf.mul_(mu)
.add_(g, alpha=1 - tau)``), NumPy style (``p.data.array -= lr * d`` on raw
arrays via ``.array``), or as an update rule (``_init_state`` and
``_prepare_update`` returning ``(rule, state_arrays, scalars)``, see
tinyopt/optim/adamw.py): the grader accepts all three.

Check: ``tinyopt check sgd --file sgd.py``.
"""
import tinyopt
from tinyopt.optim import Optimizer


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                raise NotImplementedError("exercise: SGD.step: update p with momentum, "
                                          "dampening and Nesterov (see the docstring)")
