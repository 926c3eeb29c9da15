"""SWALR: anneal each group's rate from where it is to a constant ``swa_lr``, for SWA.

    α(t) = (1 - cos(π · min(1, t / anneal_epochs))) / 2     ('cos')
    α(t) = min(1, t / anneal_epochs)                         ('linear')
    η_t  = α(t) · swa_lr + (1 - α(t)) · η_start

``t`` counts this scheduler's own steps, and ``η_start`` is the rate the
group held before SWALR's first step: as in PyTorch, each step recovers
``η_start`` from the current rate, ``(η_{t-1} - α(t-1) swa_lr) / (1 - α(t-1))``.
So SWALR built at the start of training, and stepped only from ``swa_start``
on (PyTorch's recipe, with another schedule stepped before), anneals from the
rate that schedule reached.
"""
import math

from . import closed_forms as cf
from .base import LRScheduler, per_group


class SWALR(LRScheduler):
    """Anneal to ``swa_lr`` over ``anneal_epochs`` steps, then hold it (PyTorch's ``SWALR``).

    Args:
        optimizer: the optimizer.
        swa_lr: the rate to hold (finite, >= 0), one value or one per param group.
        anneal_epochs: steps of the anneal, int >= 0 (default 10).
        anneal_strategy: 'cos' (default) or 'linear'.
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        swa_lrs = per_group("swa_lr", swa_lr, optimizer)
        for value in swa_lrs:
            cf.check_rate("swa_lr", value)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', "
                             f"instead got {anneal_strategy}")
        if isinstance(anneal_epochs, bool) or not isinstance(anneal_epochs, int) \
                or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        for value, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = value
        self._anneal_strategy, self.anneal_epochs = anneal_strategy, anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _alpha(self, step):
        """α at this scheduler's step ``step`` (0 before its first step)."""
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        return t if self._anneal_strategy == "linear" else (1 - math.cos(math.pi * t)) / 2

    def get_lr(self):
        """PyTorch's form: recover the start rate from the current one, then interpolate."""
        self._warn_if_get_lr_called_outside_step()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        before, alpha = self._alpha(step - 1), self._alpha(step)
        groups = self.optimizer.param_groups
        starts = [group["swa_lr"] if before == 1 else (group["lr"] - before * group["swa_lr"])
                  / (1 - before) for group in groups]
        return [group["swa_lr"] * alpha + start * (1 - alpha)
                for group, start in zip(groups, starts, strict=True)]

    def lr_at(self, step, base_lrs=None):
        """``α(step) · swa_lr + (1 - α(step)) · start`` per group, ``step`` counting from
        SWALR's first step and ``start`` (``base_lrs``, default ours) the rate before it."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        alpha = self._alpha(max(1, step) if self.anneal_epochs == 0 else step)
        return [group["swa_lr"] * alpha + base * (1 - alpha)
                for group, base in zip(self.optimizer.param_groups, bases)]
