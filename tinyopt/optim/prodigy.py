r"""Prodigy: Adam whose learning rate is estimated on the fly (D-adaptation, faster).

Mishchenko & Defazio (2024), "Prodigy: An Expeditiously Adaptive
Parameter-Free Learner", Algorithm 4 (Adam version) as the official code
(konstmish/prodigy) runs it; d estimates D = ‖θ₀ - θ*‖, γ lr is a
multiplier of it (keep 1.0), t the step::

    d_lr ← d γ · √(1 - β₂ᵗ) / (1 - β₁ᵗ)   (bias_correction; else d γ)
    r ← β₃ r + (d/d₀) d_lr ⟨g, θ₀ - θ⟩    summed over all parameters
    m ← β₁ m + d (1 - β₁) g
    v ← β₂ v + d² (1 - β₂) g²
    s ← β₃ s + (d/d₀) d_lr g              (d instead of d_lr with safeguard_warmup)
    d̂ ← d_coef · r / ‖s‖₁
    d ← max(d, d̂) on the first growth only (while d = d₀);  d_max ← max(d_max, d̂)
    d ← min(d_max, d · growth_rate)
    θ ← θ (1 - λ d_lr)                   decoupled decay (λ with fixed_decay)
    θ ← θ - d_lr m / (√v + d ε)          with the *new* d in the denominator

β₃ defaults to √β₂. d, d_max, the running r and the step live in the param
groups (so ``state_dict`` carries them); per parameter the state holds θ₀,
s, m and v: four buffers, twice Adam's. If ‖s‖₁ = 0 the step changes no
weight (as the references).

How it runs: ⟨g, θ₀ - θ⟩ and ‖s‖₁ are reductions, summed in float64 0-d
arrays where the weights are; d, d_max, d̂ and r are such arrays after the
first step (``float(group["d"])`` reads one), and reach the two elementwise
rules as device scalars. The references' ``if``s and ``max``/``min`` are
``where``/``fmax``/``fmin`` here (``_new_estimate``): on a GPU a step copies
nothing to the host.

Defaults are the references' (official code and pytorch-optimizer 4.1.0):
lr=1.0, betas=(0.9, 0.999), beta3=None, d0=1e-6, d_coef=1.0,
growth_rate=inf, weight_decay=0 (decoupled), bias_correction=False,
safeguard_warmup=False, eps=1e-8. Differences: pytorch-optimizer adds the
L2 term (``weight_decouple=False``) to the gradient after the moments are
taken, where it has no effect; here it is added first, as the official
code does. ``eps=None`` (pytorch-optimizer's atan2 update) is not offered.
As in both, d_lr uses the first group's lr; other groups' lr must equal it
or be 0 (the official code's rule).

Lecture intuition: how far the weights have travelled along the gradients
tells you how far the solution is, and so how large a step to take.
"""
import math

from .. import backend
from ..kernels.elementwise_math import sqrt, where
from .hyperparameters import check_flag, check_pair, check_range
from .optimizer import Optimizer


def prodigy_moments_rule(p, g, m, v, s, d, beta1, beta2, beta3, s_scale, weight_decay,
                         decoupled, maximize):
    """m ← β₁m + d(1-β₁)g; v ← β₂v + d²(1-β₂)g²; s ← β₃s + s_scale·g (θ read only)."""
    g = where(maximize, -g, g)
    g = where(decoupled, g, g + weight_decay * p)
    m = m * beta1 + d * (1 - beta1) * g
    v = v * beta2 + d * d * (1 - beta2) * g * g
    s = s * beta3 + s_scale * g
    return p, m, v, s


def prodigy_step_rule(p, g, m, v, d_lr, decay, d_eps, stepping):
    """θ ← θ(1 - decay) - d_lr m / (√v + dε) if stepping (‖s‖₁ ≠ 0), else θ. (g is unused.)"""
    stepped = p * (1 - decay)
    stepped = stepped - d_lr * (m / (sqrt(v) + d_eps))
    p = where(stepping, stepped, p)
    return p, m, v


class Prodigy(Optimizer):
    """Prodigy (Mishchenko & Defazio 2024): Adam with a learning rate it finds itself.

    Args:
        params: Parameters or param-group dicts.
        lr: a multiplier of the estimated rate (default 1.0).
        betas: (β₁, β₂) in [0, 1) (default (0.9, 0.999)).
        beta3: β₃ in [0, 1) for r and s; None means √β₂.
        d0: the initial estimate d₀ > 0 (default 1e-6).
        d_coef: multiplies d̂ (default 1.0).
        growth_rate: d may grow by at most this factor per step (default inf).
        weight_decay: λ >= 0 (default 0).
        weight_decouple: decoupled decay (default True) or L2 added to g.
        fixed_decay: decoupled decay by λ instead of λ·d_lr.
        bias_correction: Adam's bias correction inside d_lr (default False).
        safeguard_warmup: s grows with d, not d_lr (for runs with a warmup).
        eps: ε >= 0 (default 1e-8).
        maximize: ascend the objective instead of descending.
    """

    _counters_decide_updates = False

    def __init__(self, params, lr=1.0, betas=(0.9, 0.999), beta3=None, d0=1e-6, d_coef=1.0,
                 growth_rate=math.inf, weight_decay=0.0, weight_decouple=True,
                 fixed_decay=False, bias_correction=False, safeguard_warmup=False, eps=1e-8, *,
                 maximize=False):
        defaults = dict(lr=lr, betas=betas, beta3=beta3, d0=d0, d_coef=d_coef,
                        growth_rate=growth_rate, weight_decay=weight_decay,
                        weight_decouple=weight_decouple, fixed_decay=fixed_decay,
                        bias_correction=bias_correction, safeguard_warmup=safeguard_warmup,
                        eps=eps, maximize=maximize,
                        d=d0, d_max=d0, d_numerator=0.0, d_hat=0.0, step=0)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_range("lr", group["lr"], 0)
        check_pair("betas", group["betas"])
        check_range("betas[0]", group["betas"][0], 0, 1)
        check_range("betas[1]", group["betas"][1], 0, 1)
        if group["beta3"] is not None:
            check_range("beta3", group["beta3"], 0, 1)
        check_range("d0", group["d0"], 0, bounds="()")
        check_range("d_coef", group["d_coef"], 0, bounds="()")
        check_range("growth_rate", group["growth_rate"], 1, bounds="[]")
        check_range("weight_decay", group["weight_decay"], 0)
        if group["eps"] is None:
            raise TypeError("eps must be a number >= 0: the eps=None (atan2) update of "
                            "pytorch-optimizer is not offered")
        check_range("eps", group["eps"], 0)
        for flag in ("weight_decouple", "fixed_decay", "bias_correction", "safeguard_warmup",
                     "maximize"):
            check_flag(flag, group[flag])

    def _init_state(self, param, group):
        zeros = backend.xp.zeros_like
        return {"p0": param.array.copy(), "s": zeros(param.array),
                "exp_avg": zeros(param.array), "exp_avg_sq": zeros(param.array)}

    def _update_parameters(self):
        xp = backend.xp
        first = self.param_groups[0]
        for group in self.param_groups[1:]:
            if group["lr"] not in (first["lr"], 0.0):
                raise ValueError(f"Prodigy's groups must share group 0's lr ({first['lr']}) or "
                                 f"have lr 0, got {group['lr']}")
        beta1, beta2 = first["betas"]
        beta3 = first["beta3"] if first["beta3"] is not None else math.sqrt(beta2)
        step = first["step"] + 1
        correction = 1.0
        if first["bias_correction"]:
            correction = (1 - beta1 ** step) / math.sqrt(1 - beta2 ** step)
        d, d0 = first["d"], first["d0"]
        d_lr = d * first["lr"] / correction
        numerator = first["d_numerator"] * beta3
        denominator = 0.0
        float64 = xp.float64  # the sums in double precision, as Python floats would be
        active = []
        for group in self.param_groups:
            group["step"] = step
            params = [p for p in group["params"] if p.grad is not None]
            s_scale = (d / d0) * (d if group["safeguard_warmup"] else d_lr)
            updates = []
            for param in params:
                state = self.state[param]
                if not state:
                    state.update(self._init_state(param, group))
                g = param.grad.array
                g = -g if group["maximize"] else g
                if not group["weight_decouple"]:
                    g = g + group["weight_decay"] * param.array
                travelled = xp.vdot(g.ravel(), (state["p0"] - param.array).ravel())
                numerator = numerator + (d / d0) * d_lr * travelled.astype(float64)
                updates.append(([param.array, param.grad.array, state["exp_avg"],
                                 state["exp_avg_sq"], state["s"]],
                                (d, beta1, beta2, beta3, s_scale, group["weight_decay"],
                                 group["weight_decouple"], group["maximize"])))
            if updates:
                self.executor.run(prodigy_moments_rule, updates)           # elementwise
                for param in params:                                        # ‖s‖₁
                    s_norm = xp.sum(xp.abs(self.state[param]["s"]))
                    denominator = denominator + s_norm.astype(float64)
            active.append((group, params))
        d_hat, d_max, d, stepping = self._new_estimate(first, numerator, denominator)
        for group, params in active:
            group.update(d_numerator=numerator, d=d, d_max=d_max, d_hat=d_hat)
            decay = 0.0
            if group["weight_decouple"]:
                decay = group["weight_decay"] * (1.0 if group["fixed_decay"] else d_lr)
            self.executor.run(prodigy_step_rule, [
                ([p.array, p.grad.array, self.state[p]["exp_avg"], self.state[p]["exp_avg_sq"]],
                 (d_lr, decay, d * group["eps"], stepping)) for p in params])

    @staticmethod
    def _new_estimate(first, numerator, denominator):
        """(d̂, d_max, d, stepping) after this step's sums, as 0-d arrays where the sums are.

        With ‖s‖₁ = 0 there is no estimate: d̂, d_max and d stay and ``stepping``
        is false (the step then changes no weight). ``where``, ``fmax`` and ``fmin``
        stand for the references' ``if`` and ``max``/``min`` on Python floats (a NaN
        d̂ leaves d and d_max as they are), so that nothing is read on the host."""
        xp, d0 = backend.xp, first["d0"]
        # as arrays (the first step's d is a Python number): CuPy's where takes no Python bool
        d, numerator, denominator = map(xp.asarray, (first["d"], numerator, denominator))
        stepping = denominator != 0
        d_hat = first["d_coef"] * numerator / xp.where(stepping, denominator, 1.0)
        grown = xp.where(d == d0, xp.fmax(d, d_hat), d)  # the first growth may jump
        d_max = xp.fmax(first["d_max"], d_hat)
        grown = xp.fmin(d_max, grown * first["growth_rate"])
        kept = lambda new, old: xp.where(stepping, new, old)  # noqa: E731
        return kept(d_hat, first["d_hat"]), kept(d_max, first["d_max"]), kept(grown, d), stepping
