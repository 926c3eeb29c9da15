r"""ADOPT: Adam that normalises by the *previous* step's second moment, then takes momentum.

Taniguchi et al. (2024), "ADOPT: Modified Adam Can Converge with Any β₂
with the Optimal Rate", Algorithm 2 with clipping (γ lr, β₁ β₂ betas,
λ weight_decay, t the step)::

    g ← -g                                      if maximize
    θ ← θ (1 - γλ)  or  g ← g + λθ              decoupled (weight_decouple) or L2
    t = 1:   v ← g²                             the first step only initialises v
    t > 1:   n ← g / max(√v, ε)                 v is from before this g: independent of it
             n ← clip(n, -c(t), c(t)),  c(t) = t^¼      (clip_lambda)
             m ← β₁ m + (1 - β₁) n              momentum *after* normalising
             θ ← θ - γ m
             v ← β₂ v + (1 - β₂) g²

Swapping the order (normalise by v₍ₜ₋₁₎, momentum after) removes the
correlation between g and its denominator that makes Adam diverge on
Reddi et al.'s counterexample for small β₂; no bias correction is needed.

Defaults are the official code's (iShohei220/adopt) and pytorch-optimizer
4.1.0's ``ADOPT``: lr=1e-3, betas=(0.9, 0.9999), eps=1e-6, weight_decay=0
with L2 (``weight_decouple=False``), clip_lambda = step ** 0.25. The paper's
Algorithm 1 has no clipping; ``clip_lambda=None`` runs it. ``fixed_decay``
(pytorch-optimizer's) makes the decoupled decay λ instead of γλ.
``clip_lambda`` is an attribute, not a group entry, so it is not saved in
``state_dict`` (as in the references).

Lecture intuition: divide the gradient by a scale estimated *before* seeing
it, so a big gradient cannot shrink its own step.
"""
from .. import backend
from ..kernels.elementwise_math import maximum, minimum, sqrt, where
from .hyperparameters import check_betas, check_flag, check_range
from .optimizer import Optimizer


def adopt_rule(p, g, m, v, lr, beta1, beta2, eps, weight_decay, decoupled, decay, use_clip,
               clip, first_step, maximize):
    """One ADOPT step (``decay`` = λγ or λ for the decoupled form, ``clip`` = c(t))."""
    g = where(maximize, -g, g)
    p = where(decoupled, p * (1 - decay), p)
    g = where(decoupled, g, g + weight_decay * p)
    n = g / maximum(sqrt(v), eps)
    n = where(use_clip, minimum(maximum(n, -clip), clip), n)
    m_new = m + (1 - beta1) * (n - m)
    p_new = p - lr * m_new
    v_new = v * beta2 + (1 - beta2) * g * g
    return (where(first_step, p, p_new), where(first_step, m, m_new),
            where(first_step, v + g * g, v_new))


def _quarter_power(step):
    """The official clip bound c(t) = t^¼."""
    return step ** 0.25


class ADOPT(Optimizer):
    """ADOPT (Taniguchi et al. 2024), elementwise: any executor runs ``adopt_rule``.

    Args:
        params: Parameters or param-group dicts.
        lr: γ >= 0 (default 1e-3).
        betas: (β₁, β₂) in [0, 1) (default (0.9, 0.9999)).
        clip_lambda: c(t), a function of the step returning the clip bound, or None
            (no clipping); default t ** 0.25.
        weight_decay: λ >= 0 (default 0).
        weight_decouple: decoupled decay θ(1 - γλ) instead of L2 (default False).
        fixed_decay: with weight_decouple, decay by λ instead of γλ (default False).
        eps: ε >= 0, floor of √v (default 1e-6).
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.9999), clip_lambda=_quarter_power,
                 weight_decay=0.0, weight_decouple=False, fixed_decay=False, eps=1e-6, *,
                 maximize=False):
        if clip_lambda is not None and not callable(clip_lambda):
            raise TypeError(f"clip_lambda must be a function of the step or None, got "
                            f"{clip_lambda!r}")
        self.clip_lambda = clip_lambda
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay,
                        weight_decouple=weight_decouple, fixed_decay=fixed_decay, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_range("lr", group["lr"], 0)
        check_betas(group["betas"])
        check_range("weight_decay", group["weight_decay"], 0)
        check_range("eps", group["eps"], 0)
        for flag in ("weight_decouple", "fixed_decay", "maximize"):
            check_flag(flag, group[flag])

    def _init_state(self, param, group):
        return {"step": 0, "exp_avg": backend.xp.zeros_like(param.array),
                "exp_avg_sq": backend.xp.zeros_like(param.array)}

    def _prepare_update(self, param, group, state):
        state["step"] += 1
        step = state["step"]
        beta1, beta2 = group["betas"]
        decay = group["weight_decay"] * (1.0 if group["fixed_decay"] else group["lr"])
        use_clip = self.clip_lambda is not None and step > 1
        clip = float(self.clip_lambda(step)) if use_clip else 0.0
        scalars = (group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                   group["weight_decouple"], decay, use_clip, clip, step == 1,
                   group["maximize"])
        return adopt_rule, [state["exp_avg"], state["exp_avg_sq"]], scalars
