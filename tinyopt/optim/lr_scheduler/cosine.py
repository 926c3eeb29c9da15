r"""Cosine schedules: CosineAnnealingLR and CosineAnnealingWarmRestarts (SGDR).

    η_t = η_min + (η₀ - η_min) · (1 + cos(π · T_cur / T)) / 2

CosineAnnealingLR has ``T_cur = t`` and ``T = T_max`` (past ``T_max`` the
cosine climbs back, as in PyTorch). Warm restarts (Loshchilov & Hutter,
2017) reset ``T_cur`` to 0 at the end of each cycle, cycle i lasting
``T_0 · T_mult^i`` epochs; ``step(epoch)`` takes fractional epochs so the rate
can restart within an epoch (``scheduler.step(epoch + i / iters)``).

PyTorch updates CosineAnnealingLR recursively,
``η_t = η_min + (η_{t-1} - η_min)(1 + cos(πt/T))/(1 + cos(π(t-1)/T))``, which
equals the closed form up to rounding; we evaluate the closed form. For
warm restarts with ``T_mult > 1`` PyTorch's ``step(epoch)`` finds the cycle
with a floating-point logarithm that can land one cycle early exactly at a
restart; here the cycles are walked, so ``step()`` and ``step(epoch)`` agree.
"""
import math

from . import closed_forms as cf
from .base import LRScheduler


class CosineAnnealingLR(LRScheduler):
    """Cosine from the base rate down to ``eta_min`` over ``T_max`` steps.

    Args:
        optimizer: the optimizer.
        T_max: steps of the half cosine, a positive int.
        eta_min: the floor (default 0).
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        cf.check_positive_int("T_max", T_max)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step, base_lrs=None):
        """``eta_min + (base - eta_min)(1 + cos(π step / T_max)) / 2`` per param group."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [cf.cosine_annealing_lr(step, base, self.T_max, self.eta_min) for base in bases]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: cosine annealing that restarts at the base rate every cycle.

    Args:
        optimizer: the optimizer.
        T_0: length of the first cycle, a positive int.
        T_mult: each cycle is ``T_mult`` times longer than the last (int >= 1).
        eta_min: the floor (default 0).
        last_epoch: -1 to start.

    Attributes ``T_cur`` (position inside the cycle) and ``T_i`` (its length)
    follow the current epoch, as in PyTorch.
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        cf.check_positive_int("T_0", T_0)
        cf.check_positive_int("T_mult", T_mult)
        if isinstance(eta_min, bool) or not isinstance(eta_min, (int, float)):
            raise TypeError(f"eta_min must be a number, got {eta_min!r}")
        self.T_0, self.T_mult, self.eta_min = T_0, T_mult, eta_min
        self.epoch = float(last_epoch)
        super().__init__(optimizer, last_epoch)

    def _advance(self, epoch=None, metrics=None, base_lrs=None):
        """Advance one epoch, or jump to ``epoch`` (fractional epochs allowed)."""
        if epoch is not None and epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        self.epoch = self.epoch + 1 if epoch is None else float(epoch)
        self.last_epoch = math.floor(self.epoch)

    def _position(self):
        return self.epoch

    @property
    def T_cur(self):
        """Epochs since the last restart."""
        return cf.warm_restart_position(self.epoch, self.T_0, self.T_mult)[0]

    @property
    def T_i(self):
        """Length of the current cycle."""
        return cf.warm_restart_position(self.epoch, self.T_0, self.T_mult)[1]

    def lr_at(self, step, base_lrs=None):
        """The rate at epoch ``step`` (fractional allowed) for every param group."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [cf.cosine_warm_restarts_lr(step, base, self.T_0, self.T_mult, self.eta_min)
                for base in bases]
