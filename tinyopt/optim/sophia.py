r"""Sophia: momentum divided by a diagonal Hessian estimate, clipped per coordinate.

Liu, Li, Hall, Liang & Ma (2023), "Sophia: A Scalable Stochastic Second-order
Optimizer for Language Model Pre-training", Algorithm 3 (η lr, β₁ β₂
betas, ρ rho, λ weight_decay, bs the batch size in tokens/examples)::

    θ ← θ (1 - η λ)                                decoupled weight decay
    m ← β₁ m + (1 - β₁) g
    θ ← θ - η · sign(m) · min(|m| / (ρ · bs · h + 1e-15), 1)
    every k steps:  h ← β₂ h + (1 - β₂) ĥ

The clip bounds every coordinate's step by η, so where the curvature
estimate is tiny or negative the method falls back to signed momentum;
the *win rate* is the fraction of coordinates not clipped (the paper's
training loop logs it; here ``optimizer.win_rate`` after each step).

- **SophiaG** (Gauss-Newton-Bartlett): ĥ = ĝ ⊙ ĝ, ĝ the mean gradient of the loss
  with labels *sampled from the model's own logits* (``sample_labels``). As the
  official repository (Liu-Hong/Sophia, ``sophia.py``): ``loss(logits,
  sample_labels(logits)).backward(); optimizer.update_hessian()`` every k
  steps, ``optimizer.step(bs=...)`` every step (``tinyopt.train.fit`` does both,
  k = ``update_period``). Defaults are its:
  lr=1e-4, betas=(0.965, 0.99), rho=0.04, weight_decay=0.1, bs=5120. The
  paper writes ĥ = bs · ĝ ⊙ ĝ; the code folds bs into the step, as here.
- **SophiaH** (Hutchinson): ĥ = z ⊙ (H z), z Gaussian or Rademacher, H z by
  ``tinyopt.autograd.grad(..., create_graph=True)``. Written as
  pytorch-optimizer 4.1.0's ``SophiaH``, the reference here, whose
  parameterisation differs from the paper's: ``θ ← θ - lr · clip(m / max(h̄,
  eps), -p, p)`` with h̄ the EMA of ĥ, updated every ``update_period`` steps
  (the same as the paper's step with η = lr·p, ρ = p, without bs), defaults
  lr=0.06, betas=(0.96, 0.99), p=0.01, update_period=10, eps=1e-12.

Lecture intuition: divide by the curvature where you can trust it, and never
move any coordinate further than the learning rate when you can't.
"""
from .. import backend
from ..autograd import Tensor
from ..kernels.elementwise_math import abs, maximum, minimum, sign, where  # noqa: A004
from .hutchinson import HutchinsonOptimizer
from .hyperparameters import check_betas, check_flag, check_range
from .optimizer import Optimizer


def sophia_g_rule(p, g, m, h, lr, beta1, rho_bs, weight_decay, maximize):
    """θ(1 - ηλ); m ← β₁m + (1-β₁)g; θ ← θ - η sign(m) min(|m| / (ρ bs h + 1e-15), 1)."""
    g = where(maximize, -g, g)
    p = p * (1 - lr * weight_decay)
    m = m * beta1 + (1 - beta1) * g
    ratio = minimum(abs(m) / (rho_bs * h + 1e-15), 1.0)
    p = p - lr * sign(m) * ratio
    return p, m, h


def gauss_newton_bartlett_rule(h, g, beta2):
    """h ← β₂ h + (1 - β₂) ĝ² (ĝ the sampled-label gradient, in the gradient's slot)."""
    return h * beta2 + (1 - beta2) * g * g


def sophia_h_rule(p, g, m, h_ema, h, lr, beta1, beta2, eps, clip, weight_decay, decoupled,
                  decay, update_hessian, maximize):
    """pytorch-optimizer's SophiaH step (its lerps, to the bit)."""
    g = where(maximize, -g, g)
    p = where(decoupled, p * (1 - decay), p)
    g = where(decoupled, g, g + weight_decay * p)
    m = m + (1 - beta1) * (g - m)
    h_ema = where(update_hessian, h_ema + (1 - beta2) * (h - h_ema), h_ema)
    u = minimum(maximum(m / maximum(h_ema, eps), -clip), clip)
    p = p - lr * u
    return p, m, h_ema, h


def win_rate(optimizer, momentum, bound):
    """Fraction of coordinates with |state[momentum]| < bound(group, state): those not clipped."""
    xp = backend.xp
    kept = total = 0
    for group in optimizer.param_groups:
        for param in group["params"]:
            if param.grad is not None:
                state = optimizer.state[param]
                kept = kept + xp.sum(xp.abs(state[momentum]) < bound(group, state))  # on the device
                total += param.array.size
    return int(backend.to_host(kept)) / total if total else None  # one host read per step


def sample_labels(logits):
    """Labels drawn from softmax(logits) row by row (SophiaG's Gauss-Newton-Bartlett trick)."""
    xp = backend.xp
    values = logits.array if isinstance(logits, Tensor) else logits
    shifted = values - values.max(axis=-1, keepdims=True)
    probabilities = xp.exp(shifted)
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    uniform = backend.rng().random(values.shape[:-1] + (1,))
    labels = (probabilities.cumsum(axis=-1) < uniform).sum(axis=-1)
    return Tensor(xp.minimum(labels, values.shape[-1] - 1).astype("int64"))


class SophiaG(Optimizer):
    """SophiaG (Liu et al. 2023), the official ``SophiaG``'s arguments.

    Args:
        params: Parameters or param-group dicts.
        lr: η >= 0, the largest step of any coordinate (default 1e-4).
        betas: (β₁, β₂) in [0, 1) (default (0.965, 0.99)).
        rho: ρ > 0, scales the curvature (default 0.04).
        weight_decay: λ >= 0, decoupled (default 0.1).
        maximize: ascend the objective instead of descending.
        update_period: k, the steps between Hessian estimates ``fit`` takes (default 10).

    Example::

        >>> loss_fn(model(x), y).backward(); opt.step(bs=len(x)); opt.zero_grad()
        >>> if step % 10 == 9:
        ...     logits = model(x); loss_fn(logits, sample_labels(logits)).backward()
        ...     opt.update_hessian(); opt.zero_grad()
    """

    def __init__(self, params, lr=1e-4, betas=(0.965, 0.99), rho=0.04, weight_decay=1e-1, *,
                 maximize=False, update_period=10):
        if isinstance(update_period, bool) or not isinstance(update_period, int) \
                or update_period < 1:
            raise ValueError(f"update_period must be an int >= 1, got {update_period!r}")
        defaults = dict(lr=lr, betas=betas, rho=rho, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)
        self.update_period = update_period
        """Steps between ``update_hessian()`` calls in ``fit`` (the official loop's k = 10)."""
        self.win_rate = None
        """Fraction of coordinates the last step did not clip (None before the first)."""
        self._bs = 5120

    def _check_hyperparameters(self, group):
        check_range("lr", group["lr"], 0)
        check_betas(group["betas"])
        check_range("rho", group["rho"], 0, bounds="()")
        check_range("weight_decay", group["weight_decay"], 0)
        check_flag("maximize", group["maximize"])

    def _init_state(self, param, group):
        return {"step": 0, "exp_avg": backend.xp.zeros_like(param.array),
                "hessian": backend.xp.zeros_like(param.array)}

    def step(self, closure=None, bs=5120):
        """One Sophia step; ``bs`` is the batch size the Hessian estimate is scaled by."""
        check_range("bs", bs, 0, bounds="()")
        self._bs = bs
        loss = super().step(closure)
        self.win_rate = win_rate(self, "exp_avg",
                                 lambda group, state: group["rho"] * bs * state["hessian"] + 1e-15)
        return loss

    def _prepare_update(self, param, group, state):
        state["step"] += 1
        scalars = (group["lr"], group["betas"][0], group["rho"] * self._bs,
                   group["weight_decay"], group["maximize"])
        return sophia_g_rule, [state["exp_avg"], state["hessian"]], scalars

    def update_hessian(self):
        """h ← β₂h + (1-β₂)ĝ², ĝ the gradients now in ``p.grad`` (from the sampled labels)."""
        params = [(p, g) for g in self.param_groups for p in g["params"] if p.grad is not None]
        if not params:
            raise RuntimeError("update_hessian() needs gradients: call backward() on the loss "
                               "with sampled labels (sample_labels(logits)) first")
        updates = []
        for param, group in params:
            state = self.state[param]
            if not state:
                state.update(self._init_state(param, group))
            updates.append(([state["hessian"], param.grad.array], (group["betas"][1],)))
        self.executor.run(gauss_newton_bartlett_rule, updates)


class SophiaH(HutchinsonOptimizer):
    """SophiaH: Sophia with Hutchinson's Hessian estimate (pytorch-optimizer's arguments).

    Args:
        params: Parameters or param-group dicts.
        lr: step size >= 0 (default 0.06).
        betas: (β₁, β₂) in [0, 1) (default (0.96, 0.99)).
        weight_decay: λ >= 0 (default 0); weight_decouple (default True) and
            fixed_decay as in pytorch-optimizer.
        p: the clip of m / h̄, > 0 (default 0.01).
        update_period: steps between Hessian estimates, an int >= 1 (default 10).
        num_samples: Hutchinson probes per estimate, an int >= 1 (default 1).
        hessian_distribution: ``"gaussian"`` (default) or ``"rademacher"``.
        eps: floor of h̄ (default 1e-12).
        maximize: ascend the objective instead of descending.

    ``step(closure)`` / ``step(hessian=[...])``: see ``HutchinsonOptimizer.step``.
    """

    def __init__(self, params, lr=6e-2, betas=(0.96, 0.99), weight_decay=0.0,
                 weight_decouple=True, fixed_decay=False, p=1e-2, update_period=10,
                 num_samples=1, hessian_distribution="gaussian", eps=1e-12, *, maximize=False):
        self._set_estimator(update_period, num_samples, hessian_distribution)
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay,
                        weight_decouple=weight_decouple, fixed_decay=fixed_decay, p=p, eps=eps,
                        maximize=maximize, step=0)
        super().__init__(params, defaults)
        self.win_rate = None
        """Fraction of coordinates the last step did not clip, |m| < p·max(h̄, eps)."""

    def step(self, closure=None, hessian=None):
        """``HutchinsonOptimizer.step``, then the win rate of the step."""
        loss = super().step(closure, hessian)
        self.win_rate = win_rate(self, "momentum", lambda group, state: group["p"] * backend.xp
                                 .maximum(state["hessian_moment"], group["eps"]))
        return loss

    def _check_hyperparameters(self, group):
        check_range("lr", group["lr"], 0)
        check_betas(group["betas"])
        check_range("weight_decay", group["weight_decay"], 0)
        check_range("p", group["p"], 0, bounds="()")
        check_range("eps", group["eps"], 0)
        for flag in ("weight_decouple", "fixed_decay", "maximize"):
            check_flag(flag, group[flag])

    def _init_state(self, param, group):
        zeros = backend.xp.zeros_like
        return {"momentum": zeros(param.array), "hessian_moment": zeros(param.array),
                "hessian": zeros(param.array)}

    def _prepare_update(self, param, group, state):
        beta1, beta2 = group["betas"]
        decay = group["weight_decay"] * (1.0 if group["fixed_decay"] else group["lr"])
        scalars = (group["lr"], beta1, beta2, group["eps"], group["p"], group["weight_decay"],
                   group["weight_decouple"], decay, self._new_estimate, group["maximize"])
        return sophia_h_rule, [state["momentum"], state["hessian_moment"], state["hessian"]], \
            scalars
