r"""AdaHessian: Adam with the squared gradient replaced by a squared Hessian diagonal.

Yao, Gholami, Shen, Mustafa, Keutzer & Mahoney (2021), "ADAHESSIAN: An
Adaptive Second Order Optimizer for Machine Learning", Algorithm 1 (γ lr,
β₁ β₂ betas, k hessian_power, λ weight_decay, t the step)::

    D ← z ⊙ (H z)                        Hutchinson, z Rademacher (see ``hutchinson``)
    D ← mean over the kernel's h × w of |D|        for conv weights (ndim 4): spatial averaging
    m ← β₁ m + (1 - β₁) g
    v ← β₂ v + (1 - β₂) D²               only on steps with a new D (update_period)
    θ ← θ (1 - γλ)                       decoupled (weight_decouple), else g ← g + λθ
    θ ← θ - (γ / (1 - β₁ᵗ)) · m / ((v / (1 - β₂ᵗ))^(k/2) + ε)

Written as pytorch-optimizer 4.1.0's ``AdaHessian``, the reference here, with
its defaults: lr=0.1, betas=(0.9, 0.999), weight_decay=0 (decoupled),
hessian_power=1, update_period=1, num_samples=1, Rademacher probes,
eps=1e-16. Where it and the paper's code (amirgholami/adahessian) differ:
the paper's code uses eps=1e-4, lr=0.15 and |Hz| (equal to |z ⊙ Hz| for
Rademacher z), and averages conv kernels spatially, which pytorch-optimizer
does not; here ``spatial_average=True`` does it (a no-op below 4-D, so the
parity tests on 1-3-D parameters are unaffected).

Lecture intuition: Adam rescales by how big the gradients were; AdaHessian
rescales by how curved the loss is, the thing Newton's method divides by.
"""
from .. import backend
from ..kernels.elementwise_math import where
from .hutchinson import HutchinsonOptimizer
from .hyperparameters import check_betas, check_flag, check_range


def adahessian_rule(p, g, m, v, h, step_size, beta1, beta2, eps, power, bc2, weight_decay,
                    decoupled, decay, new_estimate, maximize):
    """pytorch-optimizer's AdaHessian step (m as a lerp, v from the estimate h)."""
    g = where(maximize, -g, g)
    p = where(decoupled, p * (1 - decay), p)
    g = where(decoupled, g, g + weight_decay * p)
    m = m + (1 - beta1) * (g - m)
    v = where(new_estimate, v * beta2 + (1 - beta2) * h * h, v)
    p = p - step_size * (m / ((v / bc2) ** (power / 2) + eps))
    return p, m, v, h


class AdaHessian(HutchinsonOptimizer):
    """AdaHessian (Yao et al. 2021), pytorch-optimizer's arguments.

    Args:
        params: Parameters or param-group dicts.
        lr: γ >= 0 (default 0.1).
        betas: (β₁, β₂) in [0, 1) (default (0.9, 0.999)).
        weight_decay: λ >= 0; weight_decouple (default True), fixed_decay as pytorch-optimizer.
        hessian_power: k in (0, 1] (default 1).
        update_period, num_samples, hessian_distribution: the estimate's (defaults 1, 1,
            ``"rademacher"``).
        eps: ε >= 0 (default 1e-16).
        spatial_average: average the estimate over conv kernels (ndim 4) as the paper.
        maximize: ascend the objective instead of descending.

    ``step(closure)`` (the closure returns the loss) or ``step(hessian=[...])``.
    """

    def __init__(self, params, lr=0.1, betas=(0.9, 0.999), weight_decay=0.0,
                 weight_decouple=True, fixed_decay=False, hessian_power=1.0, update_period=1,
                 num_samples=1, hessian_distribution="rademacher", eps=1e-16, *,
                 spatial_average=True, maximize=False):
        self._set_estimator(update_period, num_samples, hessian_distribution)
        check_flag("spatial_average", spatial_average)
        self.spatial_average = spatial_average
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay,
                        weight_decouple=weight_decouple, fixed_decay=fixed_decay,
                        hessian_power=hessian_power, eps=eps, maximize=maximize, step=0)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_range("lr", group["lr"], 0)
        check_betas(group["betas"])
        check_range("weight_decay", group["weight_decay"], 0)
        check_range("hessian_power", group["hessian_power"], 0, 1, bounds="(]")
        check_range("eps", group["eps"], 0)
        for flag in ("weight_decouple", "fixed_decay", "maximize"):
            check_flag(flag, group[flag])

    def _init_state(self, param, group):
        zeros = backend.xp.zeros_like
        return {"exp_avg": zeros(param.array), "exp_hessian_diag_sq": zeros(param.array),
                "hessian": zeros(param.array)}

    def _shape_estimate(self, estimate):
        if self.spatial_average and estimate.ndim == 4:
            return backend.xp.broadcast_to(
                backend.xp.abs(estimate).mean(axis=(2, 3), keepdims=True), estimate.shape)
        return estimate

    def _prepare_update(self, param, group, state):
        beta1, beta2 = group["betas"]
        step = group["step"]
        decay = group["weight_decay"] * (1.0 if group["fixed_decay"] else group["lr"])
        scalars = (group["lr"] / (1 - beta1 ** step), beta1, beta2, group["eps"],
                   group["hessian_power"], 1 - beta2 ** step, group["weight_decay"],
                   group["weight_decouple"], decay, self._new_estimate, group["maximize"])
        return adahessian_rule, [state["exp_avg"], state["exp_hessian_diag_sq"],
                                 state["hessian"]], scalars
