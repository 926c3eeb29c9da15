"""ReduceLROnPlateau: divide the rate when a watched metric stops improving.

After each epoch ``step(metric)`` compares the metric with the best so far.
"Better" means (mode 'min', threshold_mode 'rel') ``metric < best · (1 -
threshold)``, or ``metric < best - threshold`` for 'abs' (mirrored for
'max'). After more than ``patience`` epochs without improvement each
group's rate is multiplied by ``factor`` (not below ``min_lr``; a change
smaller than ``eps`` is skipped), then ``cooldown`` epochs pass before
counting again.

As in PyTorch it multiplies the rate the group holds, so it composes with
other schedulers. Unlike PyTorch it may sit inside ``SequentialLR`` or
``ChainedScheduler``, which pass the metric on (``scheduler.step(metric)``);
there is no closed form (the rate depends on the metrics seen).
"""
import math
import warnings

from . import closed_forms as cf
from .base import (EPOCH_DEPRECATION_WARNING, LRScheduler, check_optimizer, group_values,
                   set_group_value, to_scalar)


class ReduceLROnPlateau(LRScheduler):
    """Reduce the rate when ``metric`` has not improved for ``patience`` epochs.

    Args:
        optimizer: the optimizer.
        mode: 'min' (a loss) or 'max' (an accuracy).
        factor: the multiplier of a reduction, in [0, 1) (default 0.1).
        patience: epochs without improvement tolerated (int >= 0, default 10).
        threshold: the least change that counts as an improvement (finite, >= 0; 1e-4).
        threshold_mode: 'rel' (relative to best) or 'abs'.
        cooldown: epochs to wait after a reduction before counting again (int >= 0).
        min_lr: the floor (finite, >= 0), one value or one per param group.
        eps: reductions smaller than this are skipped (finite, >= 0; default 1e-8).
    """
    chainable = True

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        if isinstance(factor, (int, float)) and factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0, got factor={factor!r}")
        cf.check_rate("factor", factor)
        check_optimizer(optimizer)
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            cf.check_non_negative_int(name, value)
        for name, value in (("threshold", threshold), ("eps", eps)):
            cf.check_rate(name, value)
        self.factor, self.optimizer = factor, optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"expected {len(optimizer.param_groups)} min_lrs, "
                                 f"got {len(min_lr)}")
            self.default_min_lr, self.min_lrs = None, list(min_lr)
        else:
            self.default_min_lr, self.min_lrs = min_lr, [min_lr] * len(optimizer.param_groups)
        for value in self.min_lrs:
            cf.check_rate("min_lr", value)
        self.patience, self.cooldown, self.eps = patience, cooldown, eps
        self.last_epoch = 0
        self._last_lr = group_values(optimizer, "lr")
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _init_is_better(self, mode, threshold, threshold_mode):
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode} is unknown! (use 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode} is unknown! (use 'rel' or 'abs')")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode

    def _reset(self):
        """Forget the best metric and the counters."""
        self.best, self.cooldown_counter, self.num_bad_epochs = self.mode_worse, 0, 0

    @property
    def in_cooldown(self):
        """True while epochs after a reduction are not counted."""
        return self.cooldown_counter > 0

    def is_better(self, metric, best):
        """Whether ``metric`` improves on ``best`` by more than the threshold."""
        if self.mode == "min":
            return metric < (best * (1 - self.threshold) if self.threshold_mode == "rel"
                             else best - self.threshold)
        return metric > (best * (1 + self.threshold) if self.threshold_mode == "rel"
                         else best + self.threshold)

    def step(self, metrics, epoch=None):
        """Count the epoch's ``metrics`` (e.g. the validation loss) and reduce if patience ran out."""
        current = float(to_scalar(metrics))
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = group_values(self.optimizer, "lr")

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The number of param groups in the `optimizer` ({len(groups)}) differs "
                    f"from when `ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), "
                    "usually due to a new param group being added to the optimizer. Please "
                    "modify the `min_lrs` field to match the length of the `optimizer` param "
                    "groups.")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, floor in zip(groups, self.min_lrs):
            old = float(to_scalar(group["lr"]))
            new = max(old * self.factor, floor)
            if old - new > self.eps:
                set_group_value(group, "lr", new)

    def _initial_step(self):
        """What ``SequentialLR`` calls when the plateau runs first: a fresh start."""
        self._reset()
        self._last_lr = group_values(self.optimizer, "lr")

    def _update_lr(self, epoch=None):
        """``SequentialLR``'s restart at a milestone: back to the base rates, counters reset."""
        self.last_epoch = epoch
        self._reset()
        for group in self.optimizer.param_groups:
            set_group_value(group, "lr", group.get("initial_lr", group["lr"]))
        self._last_lr = group_values(self.optimizer, "lr")

    def get_lr(self):
        """The rates the groups hold (the plateau changes them only in ``step``)."""
        return group_values(self.optimizer, "lr")

    def lr_at(self, step, base_lrs=None):
        """No closed form: the rate depends on the metrics seen."""
        raise NotImplementedError("ReduceLROnPlateau has no closed form: its rate depends "
                                  "on the metrics passed to step()")

    def _load_checked(self, state_dict):
        super()._load_checked(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
