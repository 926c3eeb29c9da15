r"""LAMB: Adam's direction, rescaled per layer so each step is a fraction of the weight norm.

You et al. (2020), "Large Batch Optimization for Deep Learning: Training BERT
in 76 minutes", Algorithm 2 (γ lr, β₁ β₂ betas, λ weight_decay, t the step
count), for each parameter tensor θ::

    g ← -g                              if maximize
    m ← β₁ m + (1 - β₁) g
    v ← β₂ v + (1 - β₂) g²
    m̂ ← m / (1 - β₁ᵗ),  v̂ ← v / (1 - β₂ᵗ)          (bias_correction=True)
    r ← m̂ / (√v̂ + ε)                                 Adam's direction
    u ← r + λ θ                                      decoupled decay, inside the update
    ρ ← ‖θ‖ / ‖u‖,  and ρ = 1 if ‖θ‖ = 0 or ‖u‖ = 0   the trust ratio
    ρ ← min(ρ, trust_clip)                           if trust_clip is set
    θ ← θ - γ ρ u

So every layer moves by γ‖θ‖ per step whatever its gradient scale: LAMB is
to Adam what LARS is to SGD. With the trust ratio off
(``layer_adaptation=False``) it is exactly AdamW (``θ - γ(r + λθ) = θ(1 - γλ)
- γ r``).

Excluding biases and norm weights: the BERT recipe gives LayerNorm weights
and biases neither weight decay nor the trust ratio. Here that is
``exclude_1d=True`` (every parameter with ndim <= 1: λ = 0 and ρ = 1), or a
param group with ``weight_decay=0, layer_adaptation=False``.

How it runs: not purely elementwise, because ‖u‖ needs the new moments.
Three stages per param group: ``lamb_direction_rule`` (elementwise, through
``self.executor``) updates m, v and writes u into a scratch array; two
norms per tensor (the reductions); then the step θ ← θ - (γρ) u is
``sgd_rule`` with u as the gradient (elementwise, through the executor).
The norms and ρ are 0-d arrays computed where the weights are: on a GPU
nothing is copied to the host (γρ reaches the kernel as a device scalar,
see ``kernels.scalar_table``; "ρ = 1 if a norm is 0" is a ``where``).

Lecture vs other code: the paper's φ(‖θ‖) clamps the weight norm; we use
φ(z) = z and offer a clamp of the ratio (``trust_clip``, as timm). The
paper's first version, and pytorch-optimizer's ``Lamb``, have no bias
correction of v (``bias_correction=False`` here matches it), and
pytorch-optimizer also clamps ‖θ‖ at 10 and adds ε to ‖u‖.
"""
from .. import backend
from ..kernels.elementwise_math import sqrt, where
from .hyperparameters import check_betas, check_flag, check_lr, check_range, plain_numbers
from .layer_norms import LayerNorms, ratio_or_one
from .optimizer import Optimizer
from .sgd import sgd_rule


def lamb_direction_rule(u, g, m, v, p, beta1, beta2, eps, weight_decay, bc1, bc2, maximize):
    """Update m and v; u ← m̂ / (√v̂ + ε) + λθ. (θ is read only: returned unchanged.)"""
    g = where(maximize, -g, g)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / bc1
    v_hat = v / bc2
    u = m_hat / (sqrt(v_hat) + eps) + weight_decay * p
    return u, m, v, p


def lamb_trust_ratio(weight_norm, update_norm, trust_clip=None):
    """ρ = ‖θ‖ / ‖u‖ (1 when either norm is 0), at most ``trust_clip`` when given.

    The norms are numbers or 0-d arrays; ρ is a 0-d array of the backend (made from
    arrays: CuPy's ``where`` takes no Python bool)."""
    xp = backend.xp
    weight_norm, update_norm = xp.asarray(weight_norm), xp.asarray(update_norm)
    defined = (weight_norm > 0) & (update_norm > 0)
    ratio = ratio_or_one(weight_norm, update_norm, defined)
    return ratio if trust_clip is None else xp.minimum(ratio, trust_clip)


class LAMB(LayerNorms, Optimizer):
    """LAMB (You et al. 2020): Adam with decoupled weight decay and a per-tensor trust ratio.

    Args:
        params: Parameters or param-group dicts.
        lr: learning rate γ >= 0 (default 1e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε >= 0, added to √v̂ (default 1e-6, the paper's).
        weight_decay: λ >= 0, added to the update before the trust ratio.
        bias_correction: divide m and v by 1 - βᵗ (default True).
        trust_clip: None, or an upper bound > 0 on ρ (e.g. 1.0 or 10.0).
        layer_adaptation: apply the trust ratio (False gives AdamW).
        exclude_1d: 1-D and 0-D parameters (biases, norm weights) get
            λ = 0 and ρ = 1 (default False: the paper adapts every tensor).
        maximize: ascend the objective instead of descending.

    Example::

        >>> opt = LAMB(model.parameters(), lr=2e-3, weight_decay=0.01, exclude_1d=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0, *,
                 bias_correction=True, trust_clip=None, layer_adaptation=True, exclude_1d=False,
                 maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        bias_correction=bias_correction, trust_clip=trust_clip,
                        layer_adaptation=layer_adaptation, exclude_1d=exclude_1d,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_betas(group["betas"])
        check_range("eps", group["eps"], 0)
        check_range("weight_decay", group["weight_decay"], 0)
        if group["trust_clip"] is not None:
            check_range("trust_clip", group["trust_clip"], 0, bounds="()")
        for flag in ("bias_correction", "layer_adaptation", "exclude_1d", "maximize"):
            check_flag(flag, group[flag])

    def _init_state(self, param, group):
        return {"step": 0, "exp_avg": backend.xp.zeros_like(param.array),
                "exp_avg_sq": backend.xp.zeros_like(param.array)}

    def _prepare_update(self, param, group, state):
        """Advance the step; return the direction rule, its arrays and scalars (stage 1)."""
        state["step"] += 1
        beta1, beta2 = group["betas"]
        bc1, bc2 = 1.0, 1.0
        if group["bias_correction"]:
            bc1, bc2 = 1 - beta1 ** state["step"], 1 - beta2 ** state["step"]
        weight_decay = 0.0 if self._excluded(param, group) else group["weight_decay"]
        scalars = (beta1, beta2, group["eps"], weight_decay, bc1, bc2, group["maximize"])
        return lamb_direction_rule, [state["exp_avg"], state["exp_avg_sq"], param.array], scalars

    def _update_parameters(self):
        """One LAMB update of every parameter with a gradient."""
        for group in map(plain_numbers, self.param_groups):
            params = [param for param in group["params"] if param.grad is not None]
            directions = []
            for param in params:
                state = self.state[param]
                if not state:
                    state.update(self._init_state(param, group))
                _, arrays, scalars = self._prepare_update(param, group, state)
                u = backend.xp.empty_like(param.array)
                directions.append(([u, param.grad.array, *arrays], scalars))
            if directions:
                self.executor.run(lamb_direction_rule, directions)      # stage 1: elementwise
            adapted = [n for n, param in enumerate(params)
                       if group["layer_adaptation"] and not self._excluded(param, group)]
            weight_norms, update_norms = self._layer_norms(            # stage 2: the norms
                [params[n] for n in adapted], [params[n].array for n in adapted],
                [directions[n][0][0] for n in adapted])
            ratios = [1.0] * len(params)
            for n, weight_norm, update_norm in zip(adapted, weight_norms, update_norms):
                ratios[n] = lamb_trust_ratio(weight_norm, update_norm, group["trust_clip"])
            steps = [([param.array, u], (group["lr"] * ratio, 0.0, False))
                     for param, ((u, *_), _), ratio in zip(params, directions, ratios)]
            if steps:
                self.executor.run(sgd_rule, steps)                      # stage 3: θ ← θ - γρu
