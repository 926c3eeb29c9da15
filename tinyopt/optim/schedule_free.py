r"""Schedule-free SGD and AdamW: no learning-rate schedule, an online average instead.

Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky (2024), "The Road Less
Scheduled", Algorithm 1 (γ lr, β momentum or betas[0], λ weight_decay, t the
step from 1). Three sequences: z (the plain SGD/Adam iterate), x (a weighted
average of the z's, what you evaluate) and y (where the gradient is taken)::

    γₜ ← γ · min(1, t / warmup_steps)                      warmup, built in
    wₜ ← tʳ · (maxₛ≤ₜ γₛ)^weight_lr_power,  cₜ ← wₜ / Σₛ≤ₜ wₛ
    y ← (1 - β) z + β x                                    the gradient is taken here
    u ← g + λ y                                            (SGD)
    u ← g / (√(v / (1 - β₂ᵗ)) + ε) + λ y,  v ← β₂ v + (1 - β₂) g²     (AdamW)
    z ← z - γₜ u
    x ← (1 - cₜ) x + cₜ z

With r = 0 and a constant γ, c = 1/t: x is the plain average of all z's
(Polyak-Ruppert); β interpolates between that (β = 1) and SGD itself (β = 0).

How it is stored (as the reference, facebookresearch/schedule_free's
``SGDScheduleFree`` / ``AdamWScheduleFree``, v1.4.1): the parameter holds y
in train mode and x in eval mode, the state holds z (and v); one step updates
y and z in place (``y ← lerp(y, z, c) + γ(β(1 - c) - 1) u``), and
``optimizer.eval()`` / ``optimizer.train()`` swap y ↔ x by
``x = lerp(y, z, 1 - 1/β)``, ``y = lerp(x, z, 1 - β)``. The counters (k,
weight_sum, lr_max, scheduled_lr, train_mode) live in the param groups,
so ``state_dict`` carries them. Call ``eval()`` before evaluating or saving
weights to use, ``train()`` before training again; BatchNorm statistics
collected at y should be recomputed at x (``swa_utils.update_bn`` after
``eval()``). ``tinyopt.train.fit`` does all of this: ``train()`` before each
epoch's steps, ``eval()`` and the BatchNorm pass after them.

Defaults are the reference's: SGD lr=1.0, momentum=0.9; AdamW lr=0.0025,
betas=(0.9, 0.999), eps=1e-8; both weight_decay=0, warmup_steps=0, r=0,
weight_lr_power=2. One difference: the reference starts in eval mode and
refuses ``step`` until ``train()``; here a new optimizer starts in train mode
(before the first step both modes hold the same point, so only that refusal
differs). The paper's λ is applied at y, as the reference does.

Lecture intuition: instead of decaying the step size at the end, keep a
running average of the iterates and evaluate that: the average is the schedule.
"""
from .. import backend
from ..kernels.elementwise_math import sqrt, where
from .hyperparameters import check_betas, check_flag, check_range
from .optimizer import Optimizer


def sgd_schedule_free_rule(y, g, z, lr, momentum, weight_decay, ckp1):
    """u = g + λy; y ← lerp(y, z, c) + γ(β(1 - c) - 1) u; z ← z - γ u."""
    u = g + weight_decay * y
    y = where(ckp1 < 0.5, y + ckp1 * (z - y), z - (z - y) * (1 - ckp1))
    y = y + lr * (momentum * (1 - ckp1) - 1) * u
    z = z - lr * u
    return y, z


def adamw_schedule_free_rule(y, g, z, v, lr, beta1, beta2, eps, weight_decay, ckp1, bc2):
    """v ← β₂v + (1 - β₂)g²; u = g / (√(v/bc₂) + ε) + λy; then the SGD rule's y and z steps."""
    v = v * beta2 + (1 - beta2) * g * g
    u = g / (sqrt(v / bc2) + eps) + weight_decay * y
    y = where(ckp1 < 0.5, y + ckp1 * (z - y), z - (z - y) * (1 - ckp1))
    y = y + lr * (beta1 * (1 - ckp1) - 1) * u
    z = z - lr * u
    return y, z, v


def swap_rule(p, g, z, weight):
    """p ← lerp(p, z, weight) (torch's lerp, to the bit): y → x or x → y. (g is unused.)"""
    p = where(weight < 0.5, p + weight * (z - p), z - (z - p) * (1 - weight))
    return p, z


class _ScheduleFree(Optimizer):
    """What both share: the averaging weights, warmup, train()/eval()."""

    _COUNTERS = dict(k=0, train_mode=True, weight_sum=0.0, lr_max=-1.0, scheduled_lr=0.0)

    def _check_common(self, group):
        check_range("lr", group["lr"], 0)
        check_range("weight_decay", group["weight_decay"], 0)
        if isinstance(group["warmup_steps"], bool) or not isinstance(group["warmup_steps"], int) \
                or group["warmup_steps"] < 0:
            raise ValueError(f"warmup_steps must be an int >= 0, got {group['warmup_steps']!r}")
        check_range("r", group["r"], 0)
        check_range("weight_lr_power", group["weight_lr_power"], 0)
        check_flag("train_mode", group["train_mode"])

    def _momentum(self, group):
        raise NotImplementedError

    def _schedule(self, group):
        """Advance group k; return (γₜ, cₜ) as the reference computes them."""
        k = group["k"]
        lr = group["lr"] * ((k + 1) / group["warmup_steps"] if k < group["warmup_steps"] else 1.0)
        group["scheduled_lr"] = lr
        lr_max = group["lr_max"] = max(lr, group["lr_max"])
        weight = ((k + 1) ** group["r"]) * (lr_max ** group["weight_lr_power"])
        weight_sum = group["weight_sum"] = group["weight_sum"] + weight
        ckp1 = weight / weight_sum if weight_sum != 0 else 0.0
        group["k"] = k + 1
        return lr, ckp1

    def _update_parameters(self):
        for group in self.param_groups:
            if not group["train_mode"]:
                raise RuntimeError(f"{type(self).__name__}.step() in eval mode: call "
                                   "optimizer.train() before training (and eval() before "
                                   "evaluating)")
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            lr, ckp1 = self._schedule(group)
            updates = []
            for param in params:
                state = self.state[param]
                if not state:
                    state.update(self._init_state(param, group))
                arrays, scalars = self._arrays_and_scalars(state, group, lr, ckp1)
                updates.append(([param.array, param.grad.array, *arrays], scalars))
            if updates:
                self.executor.run(self._rule, updates)

    def _swap(self, to_train):
        for group in self.param_groups:
            if group["train_mode"] == to_train:
                continue
            beta = self._momentum(group)
            if not to_train and beta == 0:
                raise ValueError(f"eval() needs {self._momentum_name} > 0: with 0, y = z and "
                                 "the average x cannot be recovered")
        for group in self.param_groups:
            if group["train_mode"] == to_train:
                continue
            beta = self._momentum(group)
            weight = 1 - beta if to_train else 1 - 1 / beta
            updates = [([p.array, self.state[p]["z"], self.state[p]["z"]], (weight,))
                       for p in group["params"] if "z" in self.state[p]]
            if updates:
                self.executor.run(swap_rule, updates)
            group["train_mode"] = to_train

    def train(self):
        """Parameters ← y, the point where gradients are taken (no-op if already in train mode)."""
        self._swap(True)
        return self

    def eval(self):
        """Parameters ← x, the average to evaluate and deploy (no-op if already in eval mode)."""
        self._swap(False)
        return self


class SGDScheduleFree(_ScheduleFree):
    """Schedule-free SGD (Defazio et al. 2024), ``schedulefree.SGDScheduleFree``'s arguments.

    Args:
        params: Parameters or param-group dicts.
        lr: γ >= 0 (default 1.0, the reference's; schedule-free SGD likes large rates).
        momentum: β in (0, 1), the interpolation between x and z (default 0.9).
        weight_decay: λ >= 0, applied at y.
        warmup_steps: linear warmup length (default 0).
        r: the averaging weights' power of t (default 0).
        weight_lr_power: the averaging weights' power of the largest γ so far (default 2).

    Example::

        >>> opt = SGDScheduleFree(model.parameters(), lr=1.0, warmup_steps=100)
        >>> ...train...;  opt.eval();  evaluate(model, ...);  opt.train()
    """

    _rule = staticmethod(sgd_schedule_free_rule)
    _momentum_name = "momentum"

    def __init__(self, params, lr=1.0, momentum=0.9, weight_decay=0.0, warmup_steps=0, r=0.0,
                 weight_lr_power=2.0):
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                        warmup_steps=warmup_steps, r=r, weight_lr_power=weight_lr_power,
                        **self._COUNTERS)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        self._check_common(group)
        check_range("momentum", group["momentum"], 0, 1, bounds="()")

    def _momentum(self, group):
        return group["momentum"]

    def _init_state(self, param, group):
        return {"z": param.array.copy()}

    def _arrays_and_scalars(self, state, group, lr, ckp1):
        return [state["z"]], (lr, group["momentum"], group["weight_decay"], ckp1)


class AdamWScheduleFree(_ScheduleFree):
    """Schedule-free AdamW (Defazio et al. 2024), ``schedulefree.AdamWScheduleFree``'s arguments.

    Args:
        params: Parameters or param-group dicts.
        lr: γ >= 0 (default 0.0025).
        betas: (β₁, β₂) in [0, 1): β₁ interpolates x and z (0 is Adam-without-momentum
            on y = z; eval() then has no average to return), β₂ is v's decay.
        eps: ε >= 0 (default 1e-8).
        weight_decay: λ >= 0, applied at y (decoupled, as AdamW).
        warmup_steps, r, weight_lr_power: as ``SGDScheduleFree``.
    """

    _rule = staticmethod(adamw_schedule_free_rule)
    _momentum_name = "betas[0]"

    def __init__(self, params, lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 warmup_steps=0, r=0.0, weight_lr_power=2.0):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        warmup_steps=warmup_steps, r=r, weight_lr_power=weight_lr_power,
                        **self._COUNTERS)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        self._check_common(group)
        check_betas(group["betas"])
        check_range("eps", group["eps"], 0)

    def _momentum(self, group):
        return group["betas"][0]

    def _init_state(self, param, group):
        return {"z": param.array.copy(), "exp_avg_sq": backend.xp.zeros_like(param.array)}

    def _arrays_and_scalars(self, state, group, lr, ckp1):
        beta1, beta2 = group["betas"]
        bc2 = 1 - beta2 ** group["k"]    # k already advanced: 1 - β₂^(k+1) of the reference
        return ([state["z"], state["exp_avg_sq"]],
                (lr, beta1, beta2, group["eps"], group["weight_decay"], ckp1, bc2))
