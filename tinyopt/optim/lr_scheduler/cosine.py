r"""Cosine schedules: CosineAnnealingLR and CosineAnnealingWarmRestarts (SGDR).

    η_t = η_min + (η₀ - η_min) · (1 + cos(π · T_cur / T)) / 2

CosineAnnealingLR has ``T_cur = t`` and ``T = T_max`` (past ``T_max`` the
cosine climbs back, as in PyTorch). It steps by PyTorch's chainable
recursion, ``η_t = η_min + (η_{t-1} - η_min)(1 + cos(πt/T))/(1 + cos(π(t-1)/T))``,
which equals the closed form ``lr_at`` up to rounding.

Warm restarts (Loshchilov & Hutter, 2017) reset ``T_cur`` to 0 at the end of
each cycle, cycle i lasting ``T_0 · T_mult^i`` epochs; ``step(epoch)`` takes
fractional epochs so the rate can restart within an epoch
(``scheduler.step(epoch + i / iters)``). ``T_cur`` and ``T_i`` are plain
attributes, as in PyTorch. For ``T_mult > 1`` PyTorch's ``step(epoch)`` finds
the cycle with a floating-point logarithm that can land one cycle early
exactly at a restart; here the cycles are walked, so ``step()`` and
``step(epoch)`` agree.
"""
import math

from . import closed_forms as cf
from .base import LRScheduler, group_values


class CosineAnnealingLR(LRScheduler):
    """Cosine from the base rate down to ``eta_min`` over ``T_max`` steps.

    Args:
        optimizer: the optimizer.
        T_max: steps of the half cosine, a positive int.
        eta_min: the floor, finite and >= 0 (default 0).
        last_epoch: -1 to start.
    """
    chainable = True

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        cf.cosine_annealing_lr(0, 1.0, T_max, eta_min)  # checks the arguments
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """PyTorch's recursion on the groups' rates (the closed form on a resumed first step)."""
        self._warn_if_get_lr_called_outside_step()
        groups, eta_min, T_max = self.optimizer.param_groups, self.eta_min, self.T_max
        if self._is_initial:
            return group_values(self.optimizer, "lr")
        if self._step_count == 1 and self.last_epoch > 0:
            return [eta_min + (base - eta_min) * (1 + math.cos(self.last_epoch * math.pi / T_max))
                    / 2 for base, _ in zip(self.base_lrs, groups, strict=True)]
        if (self.last_epoch - 1 - T_max) % (2 * T_max) == 0:
            return [group["lr"] + (base - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
                    for base, group in zip(self.base_lrs, groups, strict=True)]
        return [(1 + math.cos(math.pi * self.last_epoch / T_max))
                / (1 + math.cos(math.pi * (self.last_epoch - 1) / T_max))
                * (group["lr"] - eta_min) + eta_min for group in groups]

    def lr_at(self, step, base_lrs=None):
        """``eta_min + (base - eta_min)(1 + cos(π step / T_max)) / 2`` per param group."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [cf.cosine_annealing_lr(step, base, self.T_max, self.eta_min) for base in bases]

    def _get_closed_form_lr(self):
        return self.lr_at(self.last_epoch)


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: cosine annealing that restarts at the base rate every cycle.

    Args:
        optimizer: the optimizer.
        T_0: length of the first cycle, a positive int.
        T_mult: each cycle is ``T_mult`` times longer than the last (int >= 1).
        eta_min: the floor, finite and >= 0 (default 0).
        last_epoch: -1 to start.

    ``T_cur`` (epochs since the last restart) and ``T_i`` (the cycle's length)
    are attributes, as in PyTorch; setting ``T_cur`` moves the schedule.
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if isinstance(T_0, bool) or not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if isinstance(T_mult, bool) or not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if isinstance(eta_min, bool) or not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type "
                             f"{type(eta_min)}")
        cf.check_rate("eta_min", eta_min)
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The cosine at ``T_cur / T_i`` from each base rate (absolute, as in PyTorch)."""
        self._warn_if_get_lr_called_outside_step()
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.T_cur
                                                                     / self.T_i)) / 2
                for base in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch, or go to ``epoch`` (fractional allowed; no warning, as in PyTorch)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        saved = self.T_cur, self.T_i, self.last_epoch
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur, self.T_i = self.T_cur % self.T_i, self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            self.T_cur, self.T_i = cf.warm_restart_position(epoch, self.T_0, self.T_mult)
        self.last_epoch = math.floor(epoch)
        self._get_lr_called_within_step = True
        try:
            self._write_lrs(self.get_lr())
        except BaseException:
            self.T_cur, self.T_i, self.last_epoch = saved
            raise
        finally:
            self._get_lr_called_within_step = False

    def lr_at(self, step, base_lrs=None):
        """The rate at epoch ``step`` (fractional allowed) for every param group."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [cf.cosine_warm_restarts_lr(step, base, self.T_0, self.T_mult, self.eta_min)
                for base in bases]
