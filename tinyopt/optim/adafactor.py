r"""Adafactor: Adam-like scaling with a factored second moment, O(n + m) state for n x m.

Shazeer & Stern (2018), "Adafactor: Adaptive Learning Rates with Sublinear
Memory Cost", Algorithms 4-5 with the Hugging Face ``transformers``
implementation's arguments, defaults and arithmetic (t the step count,
d clip_threshold, (ε₁, ε₂) eps, β₁ optional, λ weight_decay)::

    β̂₂ ← 1 - t^decay_rate                         (decay_rate = -0.8: β̂₂ → 1)
    ρ  ← min(1e-2, 1/√t)       if relative_step    (warmup_init: min(1e-6 t, 1/√t))
    ρ  ← lr                    otherwise
    γ  ← max(ε₂, RMS(θ)) ρ     if scale_parameter, else γ ← ρ
    G  ← g² + ε₁
    matrix (ndim >= 2), over the last two axes, θ of shape (..., n, m):
        R ← β̂₂ R + (1 - β̂₂) mean_cols(G)            row averages, shape (..., n)
        C ← β̂₂ C + (1 - β̂₂) mean_rows(G)            column averages, shape (..., m)
        v̂ ← R Cᵀ / mean(R)                         rank-1 estimate of E[g²]
    vector (ndim <= 1):
        v̂ ← v ← β̂₂ v + (1 - β̂₂) G
    u ← g / √v̂        (for a matrix: g · (1/√(R/mean(R))) (1/√C)ᵀ, never forming v̂)
    u ← u / max(1, RMS(u) / d)                     update clipping
    m ← β₁ m + (1 - β₁) γ u,  then  γu ← m          if beta1 is not None
    θ ← θ - γ λ θ - γ u                             weight decay (decoupled, scaled by γ)

RMS(x) = ‖x‖ / √(number of elements). Why it saves memory: Adam keeps v,
n·m numbers; the rank-1 factorisation keeps n + m, and without β₁ there is
no m at all, so a 1024 x 1024 weight carries 2 x 1024 numbers of state
instead of Adam's 2 x 1024². The relative step (1/√t) and the parameter
scale RMS(θ) make the step size scale-free: no learning rate to tune.

How it runs: the statistics (row/column means, their outer product, the
two RMS values) are reductions and broadcasts, computed per tensor with
``backend.xp``; the final step (momentum, decay, subtraction) is
``adafactor_step_rule``, elementwise, through ``self.executor``. The two
RMS values, and γ made from one, are 0-d float64 arrays computed where the
weights are (in double precision whatever the weights' dtype): a step
copies nothing to the host. ``state["RMS"]`` holds that 0-d array (Hugging
Face keeps a 0-d tensor there); ``load_state_dict`` takes it as an array or
a number.

Lecture vs Hugging Face: same arguments and defaults, and the same
arithmetic (including ε₁ added to g² *before* the row/column means, and
weight decay scaled by γ). As there, a matrix's 1/√v̂ is the product of
the row and column factors' reciprocal roots: v̂ itself, R·C of about
ε₁² = 1e-60 where a row and a column of g are zero, would underflow to 0 in
float32 and give 0/0 = NaN, while each factor (about 1/ε₁ = 1e15) is finite. With ``relative_step=True`` the learning rate
comes from the step count: passing ``lr`` then raises, as there.
"""
import math

from .. import backend
from ..kernels.elementwise_math import where
from . import saved_state
from .hyperparameters import check_flag, check_lr, check_pair, check_range, plain_numbers
from .optimizer import Optimizer
from .state_layout import OwnStateLayout


def adafactor_step_rule(p, u, m, lr, beta1, weight_decay, use_first_moment):
    """θ ← θ - γλθ - step, with step = γu, or its running mean m when β₁ is used."""
    m = beta1 * m + (1 - beta1) * (lr * u)
    step = where(use_first_moment, m, lr * u)
    p = p - weight_decay * lr * p - step
    return p, m


def rms(array):
    """Root mean square of a tensor, √(mean(x²)): a 0-d float64 array where it was made
    (0.0 for an empty tensor)."""
    xp = backend.xp
    return xp.sqrt(xp.mean(array * array).astype(xp.float64)) if array.size else 0.0


class Adafactor(OwnStateLayout, Optimizer):
    """Adafactor with the Hugging Face ``transformers.optimization.Adafactor`` arguments.

    Args:
        params: Parameters or param-group dicts.
        lr: external learning rate (> 0), only with ``relative_step=False``
            (default None: the relative step 1/√t).
        eps: (ε₁, ε₂): added to g², and the floor of RMS(θ) in the
            parameter scale (default (1e-30, 1e-3)).
        clip_threshold: d > 0, the RMS an update is clipped to (default 1.0).
        decay_rate: exponent c <= 0 of β̂₂ = 1 - t^c (default -0.8).
        beta1: None (no first moment, default) or β₁ in [0, 1).
        weight_decay: λ >= 0, scaled by the step size γ (default 0).
        scale_parameter: multiply the step by max(ε₂, RMS(θ)) (default True).
        relative_step: step size min(1e-2, 1/√t) instead of ``lr`` (default True).
        warmup_init: relative step min(1e-6 t, 1/√t) (needs relative_step).

    Example (manual learning rate, as recommended for fine-tuning)::

        >>> opt = Adafactor(model.parameters(), lr=1e-3, relative_step=False,
        ...                 scale_parameter=False)
    """

    def __init__(self, params, lr=None, eps=(1e-30, 1e-3), clip_threshold=1.0, decay_rate=-0.8,
                 beta1=None, weight_decay=0.0, scale_parameter=True, relative_step=True,
                 warmup_init=False):
        defaults = dict(lr=lr, eps=eps, clip_threshold=clip_threshold, decay_rate=decay_rate,
                        beta1=beta1, weight_decay=weight_decay, scale_parameter=scale_parameter,
                        relative_step=relative_step, warmup_init=warmup_init)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        for flag in ("scale_parameter", "relative_step", "warmup_init"):
            check_flag(flag, group[flag])
        if group["lr"] is not None:
            if group["relative_step"]:
                raise ValueError("lr must be None with relative_step=True (the step size is "
                                 f"min(1e-2, 1/sqrt(t))), got lr={group['lr']!r}; pass "
                                 "relative_step=False to use lr")
            check_lr(group["lr"])
        elif not group["relative_step"]:
            raise ValueError("lr must be a number >= 0 when relative_step=False, got None")
        if group["warmup_init"] and not group["relative_step"]:
            raise ValueError("warmup_init=True requires relative_step=True")
        check_pair("eps", group["eps"])
        check_range("eps[0]", group["eps"][0], 0)
        check_range("eps[1]", group["eps"][1], 0)
        check_range("clip_threshold", group["clip_threshold"], 0, bounds="()")
        check_range("decay_rate", group["decay_rate"], -math.inf, 0, "(]")
        if group["beta1"] is not None:
            check_range("beta1", group["beta1"], 0, 1, "[)")
        check_range("weight_decay", group["weight_decay"], 0)

    def _init_state(self, param, group):
        xp, shape = backend.xp, param.array.shape
        state = {"step": 0, "RMS": 0.0}
        if group["beta1"] is not None:
            state["exp_avg"] = xp.zeros_like(param.array)
        if len(shape) >= 2:  # factored: one average per row and one per column
            state["exp_avg_sq_row"] = xp.zeros(shape[:-1], dtype=param.array.dtype)
            state["exp_avg_sq_col"] = xp.zeros(shape[:-2] + shape[-1:], dtype=param.array.dtype)
        else:
            state["exp_avg_sq"] = xp.zeros_like(param.array)
        return state

    def load_state_dict(self, state_dict):
        """Restore a ``state_dict()``; an RMS saved as a 0-d array (a GPU's) is read as a
        number (at loading, the one host read; the next step recomputes it anyway)."""
        return super().load_state_dict(_rms_as_numbers(state_dict))

    @staticmethod
    def step_size(group, state):
        """γ for this step: the relative (or given) step times the parameter scale."""
        relative = group["lr"]
        if group["relative_step"]:
            floor = 1e-6 * state["step"] if group["warmup_init"] else 1e-2
            relative = min(floor, 1.0 / math.sqrt(state["step"]))
        # fmax: as max(ε₂, RMS) on Python floats, a NaN RMS gives ε₂
        scale = backend.xp.fmax(group["eps"][1], state["RMS"]) if group["scale_parameter"] \
            else 1.0
        return scale * relative

    def _scaled_update(self, param, group, state):
        """Advance the statistics; return the clipped u = g / √v̂ (the reductions' stage)."""
        xp, grad = backend.xp, param.grad.array
        beta2t = 1.0 - math.pow(state["step"], group["decay_rate"])
        G = grad * grad + group["eps"][0]
        if "exp_avg_sq_row" in state:
            R, C = state["exp_avg_sq_row"], state["exp_avg_sq_col"]
            R[...] = beta2t * R + (1.0 - beta2t) * xp.mean(G, axis=-1)
            C[...] = beta2t * C + (1.0 - beta2t) * xp.mean(G, axis=-2)
            row_factor = 1.0 / xp.sqrt(R / xp.mean(R, axis=-1, keepdims=True))
            col_factor = 1.0 / xp.sqrt(C)
            u = (row_factor[..., :, None] * col_factor[..., None, :]) * grad
        else:
            v = state["exp_avg_sq"]
            v[...] = beta2t * v + (1.0 - beta2t) * G
            u = grad / xp.sqrt(v)
        clip = xp.fmax(1.0, rms(u) / group["clip_threshold"])  # max(1, RMS(u)/d); NaN gives 1
        return u / clip.astype(u.dtype)  # a number in u's dtype, as a Python float would be

    def _update_parameters(self):
        """One Adafactor update of every parameter with a gradient."""
        for group in map(plain_numbers, self.param_groups):
            updates = []
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state.update(self._init_state(param, group))
                state["step"] += 1
                if param.array.size == 0:  # nothing to update (and no mean of an empty axis)
                    continue
                state["RMS"] = rms(param.array)
                lr = self.step_size(group, state)
                u = self._scaled_update(param, group, state)
                use_first_moment = group["beta1"] is not None
                scalars = (lr, group["beta1"] if use_first_moment else 0.0,
                           group["weight_decay"], use_first_moment)
                updates.append(([param.array, u, state.get("exp_avg")], scalars))
            if updates:
                self.executor.run(adafactor_step_rule, updates)


def _rms_as_numbers(state_dict):
    """``state_dict`` with each entry's array ``"RMS"`` as a Python float (a copy; anything
    malformed passes unchanged, for the base class to name)."""
    entries = state_dict.get("state") if isinstance(state_dict, dict) else None
    if not isinstance(entries, dict):
        return state_dict
    return {**state_dict, "state": {
        index: {**entry, "RMS": float(backend.to_host(entry["RMS"]))}
        if isinstance(entry, dict) and saved_state.is_array(entry.get("RMS")) else entry
        for index, entry in entries.items()}}
