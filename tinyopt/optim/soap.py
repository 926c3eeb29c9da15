r"""SOAP: Adam run in the eigenbasis of Shampoo's preconditioner.

Vyas, Morwani, Zhao, Shapira, Brandfonbrener, Janson & Kakade (2024), "SOAP:
Improving and Stabilizing Shampoo using Adam", Algorithm 1, for a matrix
parameter with gradient G (γ lr, β₁ β₂ betas, β_s shampoo_beta (None: β₂),
f precondition_frequency, t the step)::

    t = 1:  L ← (1-β_s) G Gᵀ,  R ← (1-β_s) Gᵀ G;  Q_L, Q_R ← eigenvectors (eigh)
            -- the first step only initialises: θ does not move
    t > 1:  G' ← Q_Lᵀ G Q_R                       rotate the gradient
            m ← β₁ m + (1-β₁) G                    momentum kept in the *original* basis
            v ← β₂ v + (1-β₂) G'²                  Adam's second moment in the rotated one
            N ← Q_L ((Q_Lᵀ m Q_R) / (√v + ε)) Q_Rᵀ    rotate m in, divide, rotate back
            N ← N / (RMS(N) + ε)                   if normalize_gradient
            θ ← θ - γ √(1-β₂ᵗ⁻¹)/(1-β₁ᵗ⁻¹) N;  θ ← θ (1 - γλ)     (correct_bias)
            L ← β_s L + (1-β_s) G Gᵀ,  R likewise
            every f steps: one power iteration + QR per factor, Q ← qr(L Q) with the
            columns sorted by the estimated eigenvalue diag(Qᵀ L Q), and v's
            coordinates permuted to follow them

For tensors of any order each dimension gets its factor; a dimension longer
than ``max_precondition_dim`` (and a 1-D parameter unless ``precondition_1d``)
is left unrotated, so a bias runs plain Adam. Keeping m in the original basis
is how the reference "re-rotates" the momentum when Q changes.

Written as pytorch-optimizer 4.1.0's ``SOAP`` (which follows nikhilvyas/SOAP's
``soap.py`` of late 2024), with its defaults: lr=3e-3, betas=(0.95, 0.95),
shampoo_beta=None, weight_decay=0.01, precondition_frequency=10,
max_precondition_dim=10000, precondition_1d=False, correct_bias=True,
normalize_gradient=False, eps=1e-8. Differences: the reference runs the QR
in float32; here it runs in the parameter's dtype (float64 in the tests).
``merge_dims`` and ``data_format`` (channels_last) are not offered.

State: per parameter m and v (as Adam) plus one d×d factor and one d×d
basis per rotated dimension: for an n×k weight, 2nk + 2n² + 2k² numbers.

Lecture intuition: find the directions in which the gradients co-vary, turn
the axes to line up with them, and run Adam in those axes.
"""
import math

from .. import backend
from ..kernels.elementwise_math import sqrt
from .hyperparameters import check_betas, check_flag, check_range
from .optimizer import Optimizer


def soap_moments_rule(m, g, v, g_rotated, beta1, beta2):
    """m ← lerp(m, G, 1-β₁) (original basis); v ← lerp(v, G'², 1-β₂) (rotated basis)."""
    m = m + (1 - beta1) * (g - m)
    v = v + (1 - beta2) * (g_rotated * g_rotated - v)
    return m, v, g_rotated


def soap_ratio_rule(ratio, m_rotated, v, eps):
    """The rotated Adam direction m' / (√v + ε), written into ``ratio``."""
    return m_rotated / (sqrt(v) + eps), v


def soap_step_rule(p, n, step_size, decay):
    """θ ← (θ - step_size · N)(1 - γλ): the step, then the decoupled decay (as the reference)."""
    return (p - step_size * n) * (1 - decay)


def _lerp(start, end, weight):
    """torch.lerp, to the bit."""
    return start + weight * (end - start) if weight < 0.5 else end - (end - start) * (1 - weight)


def _project(array, bases, backward=False):
    """Rotate every dimension of ``array`` by its basis: Qᵀ (forward) or Q (backward)."""
    xp = backend.xp
    for basis in bases:
        if basis is None:
            array = xp.moveaxis(array, 0, -1)
        else:
            array = xp.tensordot(array, basis, axes=([0], [1 if backward else 0]))
    return array


class SOAP(Optimizer):
    """SOAP (Vyas et al. 2024), pytorch-optimizer's arguments (less merge_dims, data_format).

    Args:
        params: Parameters or param-group dicts.
        lr: γ >= 0 (default 3e-3).
        betas: (β₁, β₂) in [0, 1) (default (0.95, 0.95)).
        shampoo_beta: β_s in [0, 1) for the factors; None means β₂.
        weight_decay: λ >= 0, decoupled, after the step (default 0.01).
        precondition_frequency: f, steps between basis updates, an int >= 1 (default 10).
        max_precondition_dim: longer dimensions are not rotated, an int >= 1 (default 10000).
        precondition_1d: rotate 1-D parameters too (default False).
        correct_bias: Adam's bias correction in the step size (default True).
        normalize_gradient: divide the direction by its RMS (default False).
        eps: ε >= 0 (default 1e-8).
        maximize: ascend the objective instead of descending.
    """

    def __init__(self, params, lr=3e-3, betas=(0.95, 0.95), shampoo_beta=None,
                 weight_decay=1e-2, precondition_frequency=10, max_precondition_dim=10000,
                 precondition_1d=False, correct_bias=True, normalize_gradient=False, eps=1e-8,
                 *, maximize=False):
        defaults = dict(lr=lr, betas=betas, shampoo_beta=shampoo_beta,
                        weight_decay=weight_decay, precondition_frequency=precondition_frequency,
                        max_precondition_dim=max_precondition_dim,
                        precondition_1d=precondition_1d, correct_bias=correct_bias,
                        normalize_gradient=normalize_gradient, eps=eps, maximize=maximize, step=0)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_range("lr", group["lr"], 0)
        check_betas(group["betas"])
        if group["shampoo_beta"] is not None:
            check_range("shampoo_beta", group["shampoo_beta"], 0, 1)
        check_range("weight_decay", group["weight_decay"], 0)
        for name in ("precondition_frequency", "max_precondition_dim"):
            value = group[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        check_range("eps", group["eps"], 0)
        for flag in ("precondition_1d", "correct_bias", "normalize_gradient", "maximize"):
            check_flag(flag, group[flag])

    def _new_state(self, param, group):
        """m, v, and a zero factor per rotated dimension (None for the others)."""
        xp = backend.xp
        rotated = [d <= group["max_precondition_dim"] for d in param.shape]
        if param.ndim == 1 and not group["precondition_1d"]:
            rotated = [False]
        return {"exp_avg": xp.zeros_like(param.array), "exp_avg_sq": xp.zeros_like(param.array),
                "GG": [xp.zeros((d, d), dtype=param.array.dtype) if keep else None
                       for d, keep in zip(param.shape, rotated)],
                "Q": None}

    def _update_parameters(self):
        for group in self.param_groups:
            group["step"] += 1
            params = [p for p in group["params"] if p.grad is not None]
            fresh = [p for p in params if not self.state[p]]
            for param in fresh:
                self.state[param].update(self._new_state(param, group))
                self._update_factors(param, group, self._signed(param, group), step=0)
            if group["step"] == 1:
                continue                       # the first step only initialises
            self._soap_step(group, params)

    @staticmethod
    def _signed(param, group):
        return -param.grad.array if group["maximize"] else param.grad.array

    def _soap_step(self, group, params):
        xp = backend.xp
        beta1, beta2 = group["betas"]
        step = group["step"] - 1
        step_size = group["lr"]
        if group["correct_bias"]:
            step_size *= math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
        grads = [self._signed(p, group) for p in params]
        moments = [([self.state[p]["exp_avg"], g, self.state[p]["exp_avg_sq"],
                     xp.ascontiguousarray(_project(g, self.state[p]["Q"]))], (beta1, beta2))
                   for p, g in zip(params, grads)]
        self.executor.run(soap_moments_rule, moments)                        # elementwise
        ratios = []
        for param in params:
            state = self.state[param]
            m_rotated = xp.ascontiguousarray(_project(state["exp_avg"], state["Q"]))
            ratios.append(([xp.empty_like(param.array), m_rotated, state["exp_avg_sq"]],
                           (group["eps"],)))
        self.executor.run(soap_ratio_rule, ratios)                           # elementwise
        steps = []
        for param, ((ratio, *_), _) in zip(params, ratios):
            direction = _project(ratio, self.state[param]["Q"], backward=True)
            if group["normalize_gradient"]:
                direction = direction / (math.sqrt(float(xp.mean(direction * direction)))
                                         + group["eps"])
            steps.append(([param.array, xp.ascontiguousarray(direction)],
                          (step_size, group["lr"] * group["weight_decay"])))
        self.executor.run(soap_step_rule, steps)                             # elementwise
        for param, g in zip(params, grads):
            self._update_factors(param, group, g, step)

    def _update_factors(self, param, group, grad, step):
        """L, R ← lerp toward G Gᵀ, Gᵀ G; Q by eigh at first, by power iteration + QR every f."""
        xp = backend.xp
        state = self.state[param]
        shampoo_beta = group["shampoo_beta"]
        weight = 1 - (group["betas"][1] if shampoo_beta is None else shampoo_beta)
        for axis, factor in enumerate(state["GG"]):
            if factor is not None:
                others = [i for i in range(grad.ndim) if i != axis]
                outer = xp.tensordot(grad, grad, axes=(others, others))
                factor[...] = _lerp(factor, outer, weight)
        if state["Q"] is None:
            state["Q"] = [None if f is None else
                          xp.linalg.eigh(f + 1e-30 * xp.eye(f.shape[0], dtype=f.dtype))[1][:, ::-1]
                          .copy() for f in state["GG"]]
        if step > 0 and step % group["precondition_frequency"] == 0:
            self._power_iteration(state)

    @staticmethod
    def _power_iteration(state):
        xp = backend.xp
        exp_avg_sq = state["exp_avg_sq"]
        bases = []
        for axis, (factor, basis) in enumerate(zip(state["GG"], state["Q"])):
            if factor is None:
                bases.append(None)
                continue
            product = factor @ basis
            order = xp.argsort(-(basis * product).sum(axis=0), kind="stable")
            exp_avg_sq = xp.take(exp_avg_sq, order, axis=axis)
            bases.append(xp.linalg.qr(product[:, order])[0])
        state["exp_avg_sq"][...] = exp_avg_sq
        state["Q"] = bases

    def _check_state_dict(self, state_dict):
        saved_groups, saved_state = super()._check_state_dict(state_dict)
        for index, entry in saved_state.items():
            if set(entry) != {"exp_avg", "exp_avg_sq", "GG", "Q"}:
                raise ValueError(f"state of parameter {index} has keys {sorted(entry)}, SOAP "
                                 "keeps ['GG', 'Q', 'exp_avg', 'exp_avg_sq']")
        return saved_groups, saved_state
