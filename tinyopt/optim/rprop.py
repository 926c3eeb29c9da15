r"""Rprop: resilient backpropagation, steps from gradient signs only.

Riedmiller & Braun (1993), in the iRprop⁻ variant of Igel & Hüsken (2000)
that PyTorch implements (η⁻ η⁺ etas, Δ the per-coordinate step size,
started at lr, kept in [step_sizes[0], step_sizes[1]])::

    g ← -g                          if maximize
    s ← sign(g · g_prev)
    Δ ← clip(Δ · η⁺, ...)           if s > 0: same sign, speed up
    Δ ← clip(Δ · η⁻, ...)           if s < 0: overshot, slow down ...
    g ← 0                           ... and skip this coordinate's step
    θ ← θ - sign(g) Δ
    g_prev ← g

A NaN gradient entry counts as sign 0, as in PyTorch (whose ``sign`` is
0 for NaN): Δ is kept and that coordinate does not move, so the parameter
stays finite; the NaN is kept as g_prev, which makes the next step's sign
product NaN, hence 0, once more.

Only signs matter, so Rprop ignores the gradient's scale: meant for full
batches, it behaves badly with noisy mini-batch gradients (RMSprop was
invented as its mini-batch fix).

Lecture vs PyTorch: the original Rprop also undoes the previous step after
a sign change (weight backtracking); iRprop⁻ only skips, as here.
"""
from .. import backend
from ..kernels.elementwise_math import maximum, minimum, where
from .hyperparameters import check_flag, check_lr, check_pair, check_range
from .optimizer import Optimizer


def rprop_rule(p, g, g_prev, step_size, etaminus, etaplus, step_size_min, step_size_max,
               maximize):
    """iRprop⁻: grow Δ while the gradient sign holds, shrink it and skip after a flip."""
    g = where(maximize, -g, g)
    s = g * g_prev                  # only its sign is used; NaN is neither > 0 nor < 0
    factor = where(s > 0, etaplus, where(s < 0, etaminus, 1.0))
    step_size = minimum(maximum(step_size * factor, step_size_min), step_size_max)
    g = where(s < 0, 0.0, g)
    p = p - where(g > 0, step_size, where(g < 0, -step_size, 0.0))  # sign(g)·Δ, NaN -> 0
    return p, g, step_size


class Rprop(Optimizer):
    """Rprop (``torch.optim.Rprop``).

    Args:
        params: Parameters or param-group dicts.
        lr: the initial step size Δ (default 1e-2).
        etas: (η⁻, η⁺) with 0 < η⁻ < 1 < η⁺ (default (0.5, 1.2)).
        step_sizes: (Δ_min, Δ_max), the range Δ is clipped to (default (1e-6, 50)).
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 maximize=False):
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_pair("etas", group["etas"])
        check_range("etas[0]", group["etas"][0], 0, 1, "()")
        check_range("etas[1]", group["etas"][1], 1, bounds="()")
        check_pair("step_sizes", group["step_sizes"])
        check_range("step_sizes[0]", group["step_sizes"][0], 0)
        check_range("step_sizes[1]", group["step_sizes"][1], group["step_sizes"][0])
        check_flag("maximize", group["maximize"])

    def _init_state(self, param, group):
        return {"step": 0, "prev": backend.xp.zeros_like(param.array),
                "step_size": backend.xp.full_like(param.array, group["lr"])}

    def _prepare_update(self, param, group, state):
        state["step"] += 1
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        scalars = (etaminus, etaplus, step_size_min, step_size_max, group["maximize"])
        return rprop_rule, [state["prev"], state["step_size"]], scalars
