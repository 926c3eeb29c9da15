r"""ASGD: averaged SGD, SGD whose iterates are averaged from step t0 on.

Polyak & Juditsky (1992), with the decaying step size of Xu (2011). As
PyTorch runs it (γ lr, λ lambd, α alpha, w weight_decay; η and μ start at γ
and 1 and are per-parameter state)::

    g ← -g                          if maximize
    g ← g + w θ                     L2 penalty folded into the gradient
    θ ← θ (1 - λ η)                 shrinkage
    θ ← θ - η g
    θ̄ ← θ  while μ = 1,  else  θ̄ ← θ̄ + μ (θ - θ̄)       averaged iterate (state "ax")
    η ← γ / (1 + λ γ t)^α           decaying step size for step t + 1
    μ ← 1 / max(1, t - t0)          averaging weight for step t + 1

The model keeps training on θ; θ̄ (``optimizer.state[p]["ax"]``) is the
averaged solution you evaluate.

Lecture vs PyTorch: lectures usually average with a plain 1/t from t0;
PyTorch's λ also shrinks θ each step, and its default t0 = 1e6 means no
averaging at all in short runs.
"""
from .. import backend
from ..kernels.elementwise_math import where
from .hyperparameters import check_flag, check_lr, check_range
from .optimizer import Optimizer


def asgd_rule(p, g, ax, eta, mu, lambd, weight_decay, maximize):
    """One averaged-SGD step with step size η and averaging weight μ."""
    g = where(maximize, -g, g)
    g = g + weight_decay * p
    p = p * (1 - lambd * eta)
    p = p - eta * g
    ax = where(mu == 1, p, ax + mu * (p - ax))
    return p, ax


class ASGD(Optimizer):
    """Averaged SGD (``torch.optim.ASGD``).

    Args:
        params: Parameters or param-group dicts.
        lr: learning rate γ (default 1e-2).
        lambd: λ >= 0, decay term of the step size and shrinkage (default 1e-4).
        alpha: α >= 0, power of the step-size decay (default 0.75).
        t0: the step at which averaging starts (default 1e6).
        weight_decay: L2 penalty (>= 0) added to the gradient.
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, *,
                 maximize=False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_range("lambd", group["lambd"], 0)
        check_range("alpha", group["alpha"], 0)
        check_range("t0", group["t0"], 0)
        check_range("weight_decay", group["weight_decay"], 0)
        check_flag("maximize", group["maximize"])

    def _init_state(self, param, group):
        return {"step": 0, "eta": float(group["lr"]), "mu": 1.0,
                "ax": backend.xp.zeros_like(param.array)}

    def _prepare_update(self, param, group, state):
        eta, mu = state["eta"], state["mu"]
        state["step"] += 1
        t = state["step"]
        state["eta"] = group["lr"] / (1 + group["lambd"] * group["lr"] * t) ** group["alpha"]
        state["mu"] = 1 / max(1, t - group["t0"])
        scalars = (eta, mu, group["lambd"], group["weight_decay"], group["maximize"])
        return asgd_rule, [state["ax"]], scalars
