r"""Adam: momentum on the gradient, RMSprop scaling, and bias correction of both.

Kingma & Ba (2015); AMSGrad from Reddi, Kale & Kumar (2018). As PyTorch runs
it (γ lr, β₁ β₂ betas, λ weight_decay, t the step count)::

    g ← -g                          if maximize
    θ ← θ (1 - γ λ)                 if decoupled_weight_decay (AdamW)
    g ← g + λ θ                     otherwise: L2 penalty folded into the gradient
    m ← β₁ m + (1 - β₁) g           first moment
    v ← β₂ v + (1 - β₂) g²          second moment
    v_max ← max(v_max, v)           amsgrad only; then v_max replaces v below
    m̂ ← m / (1 - β₁ᵗ),  v̂ ← v / (1 - β₂ᵗ)
    θ ← θ - γ m̂ / (√v̂ + ε)

``bias_correction=False`` drops the two divisions ("Adam v0" in the lectures).
m and v start at zero, so early on both are biased towards zero, v much more
than m: with the default betas the first step is (1 - β₁) / √(1 - β₂) ≈ 3.16
times γ·sign(g) instead of exactly γ·sign(g) (for ε → 0).

Lecture vs PyTorch: ε is added to √v̂, outside the root, as in the paper's
Algorithm 1. (The paper's "more efficient" ordering adds ε̂ to √v before the
bias correction, a slightly different ε.) Weight decay in Adam is L2: it
passes through m and v, so it is rescaled per coordinate; AdamW decouples it.
"""
from .. import backend
from ..kernels.elementwise_math import maximum, sqrt, where
from .hyperparameters import check_betas, check_flag, check_lr, check_range
from .optimizer import Optimizer


def adam_rule(p, g, m, v, v_max, lr, beta1, beta2, eps, weight_decay, bc1, bc2, amsgrad,
              decoupled_weight_decay, maximize):
    """Adam / AdamW / AMSGrad; bc1 = 1 - β₁ᵗ and bc2 = 1 - β₂ᵗ (1 without bias correction)."""
    g = where(maximize, -g, g)
    p = where(decoupled_weight_decay, p * (1 - lr * weight_decay), p)
    g = where(decoupled_weight_decay, g, g + weight_decay * p)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    v_max = maximum(v_max, v)
    m_hat = m / bc1
    v_hat = where(amsgrad, v_max, v) / bc2
    p = p - lr * m_hat / (sqrt(v_hat) + eps)
    return p, m, v, v_max


class Adam(Optimizer):
    """Adam (``torch.optim.Adam``), with AMSGrad and the bias correction switchable.

    Args:
        params: Parameters or param-group dicts.
        lr: learning rate γ (default 1e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε >= 0, added to √v̂ (default 1e-8).
        weight_decay: λ >= 0; L2 penalty in the gradient unless decoupled.
        amsgrad: divide by the running maximum of v (AMSGrad).
        maximize: ascend the objective instead of descending.
        decoupled_weight_decay: shrink θ by γλ directly (this is AdamW).
        bias_correction: divide m and v by 1 - βᵗ (False gives "Adam v0";
            not in PyTorch).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False,
                 bias_correction=True):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay,
                        bias_correction=bias_correction)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_betas(group["betas"])
        check_range("eps", group["eps"], 0)
        check_range("weight_decay", group["weight_decay"], 0)
        for flag in ("amsgrad", "maximize", "decoupled_weight_decay", "bias_correction"):
            check_flag(flag, group[flag])

    def _init_state(self, param, group):
        state = {"step": 0, "exp_avg": backend.xp.zeros_like(param.array),
                 "exp_avg_sq": backend.xp.zeros_like(param.array)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = backend.xp.zeros_like(param.array)
        return state

    def _prepare_update(self, param, group, state):
        state["step"] += 1
        beta1, beta2 = group["betas"]
        bc1, bc2 = 1.0, 1.0
        if group["bias_correction"]:
            bc1, bc2 = 1 - beta1 ** state["step"], 1 - beta2 ** state["step"]
        arrays = [state["exp_avg"], state["exp_avg_sq"], state.get("max_exp_avg_sq")]
        scalars = (group["lr"], beta1, beta2, group["eps"], group["weight_decay"], bc1, bc2,
                   group["amsgrad"], group["decoupled_weight_decay"], group["maximize"])
        return adam_rule, arrays, scalars
