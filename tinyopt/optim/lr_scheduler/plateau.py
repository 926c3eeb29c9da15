"""ReduceLROnPlateau: divide the rate when a watched metric stops improving.

After each epoch ``step(metric)`` compares the metric with the best so far.
"Better" means (mode 'min', threshold_mode 'rel') ``metric < best · (1 -
threshold)``, or ``metric < best - threshold`` for 'abs' (mirrored for
'max'). After more than ``patience`` epochs without improvement each
group's rate is multiplied by ``factor`` (not below ``min_lr``; a change
smaller than ``eps`` is skipped), then ``cooldown`` epochs pass before
counting again.

The scheduler keeps the number of reductions ``k`` of every group, so its
rate is the closed form ``max(base_lr · factor^k, min_lr)``. That makes it a
scheduler like the others: it can sit inside ``SequentialLR`` or
``ChainedScheduler`` (which pass the metric on: ``scheduler.step(metric)``),
where PyTorch refuses it.
"""
import math

from .base import LRScheduler, per_group


class ReduceLROnPlateau(LRScheduler):
    """Reduce the rate when ``metric`` has not improved for ``patience`` epochs.

    Args:
        optimizer: the optimizer.
        mode: 'min' (a loss) or 'max' (an accuracy).
        factor: the multiplier of a reduction, in [0, 1) (default 0.1).
        patience: epochs without improvement tolerated (int >= 0, default 10).
        threshold: the least change that counts as an improvement (default 1e-4).
        threshold_mode: 'rel' (relative to best) or 'abs'.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the floor, one value or one per param group.
        eps: reductions smaller than this are skipped (default 1e-8).
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        if not 0 <= factor < 1:
            raise ValueError(f"factor must be in [0, 1), got {factor}")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, got {value!r}")
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown, self.eps = (
            threshold, threshold_mode, cooldown, eps)
        self.min_lrs = per_group("min_lr", min_lr, optimizer)
        self.reductions = [0] * len(optimizer.param_groups)
        self._reset()
        super().__init__(optimizer)

    def _reset(self):
        """Forget the best metric and the counters (a fresh start)."""
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs, self.cooldown_counter = 0, 0

    def restart(self):
        """Start over at the base rates (what ``SequentialLR`` does at its milestone)."""
        self._reset()
        self.reductions = [0] * len(self.reductions)
        self.last_epoch = 0

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

    def lr_at(self, step, base_lrs=None):
        """``max(base · factor^k, min_lr)`` per group, k its reductions so far (``step`` unused)."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [max(base * self.factor ** k, floor)
                for base, k, floor in zip(bases, self.reductions, self.min_lrs)]

    def observe(self, metrics, base_lrs=None):
        """Count ``metrics`` as one epoch's result and reduce if patience ran out
        (``base_lrs``: the rates handed down by a ``ChainedScheduler``)."""
        current = float(metrics)
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, old in enumerate(self.lr_at(None, base_lrs)):
                if old - max(old * self.factor, self.min_lrs[group]) > self.eps:
                    self.reductions[group] += 1
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0

    def _initial_step(self):
        self._step_count, self.last_epoch = 1, 0
        self._apply()

    def _advance(self, epoch=None, metrics=None, base_lrs=None):
        if metrics is None:
            raise TypeError("ReduceLROnPlateau needs the metric it watches: "
                            "scheduler.step(val_loss)")
        self.observe(metrics, base_lrs)
        super()._advance(epoch)

    def step(self, metrics, epoch=None):
        """Count the epoch's ``metrics`` (e.g. the validation loss) and set the rates."""
        self._advance(epoch, metrics)
        self._step_count += 1
        self._apply()
