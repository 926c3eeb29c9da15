"""SWALR: anneal each group's rate from where it is to a constant ``swa_lr``, for SWA.

    α(t) = (1 - cos(π · min(1, t / anneal_epochs))) / 2     ('cos')
    α(t) = min(1, t / anneal_epochs)                         ('linear')
    η_t  = α(t) · swa_lr + (1 - α(t)) · η_start

``η_start`` is each group's rate when SWALR is built (the rate the earlier
schedule reached). PyTorch recovers ``η_start`` from the current rate every
step; here it is stored, so the value is the closed form.
"""
import math

from .base import LRScheduler, per_group


class SWALR(LRScheduler):
    """Anneal to ``swa_lr`` over ``anneal_epochs`` steps, then hold it (PyTorch's ``SWALR``).

    Args:
        optimizer: the optimizer.
        swa_lr: the rate to hold, one value or one per param group.
        anneal_epochs: steps of the anneal, int >= 0 (default 10).
        anneal_strategy: 'cos' (default) or 'linear'.
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        self.swa_lrs = per_group("swa_lr", swa_lr, optimizer)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        if isinstance(anneal_epochs, bool) or not isinstance(anneal_epochs, int) \
                or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be an int >= 0, got {anneal_epochs!r}")
        self.anneal_epochs, self.anneal_strategy = anneal_epochs, anneal_strategy
        super().__init__(optimizer, last_epoch)

    def _alpha(self, step):
        if self.anneal_epochs == 0:
            return 1.0
        t = max(0.0, min(1.0, step / self.anneal_epochs))
        return t if self.anneal_strategy == "linear" else (1 - math.cos(math.pi * t)) / 2

    def lr_at(self, step, base_lrs=None):
        """``α · swa_lr + (1 - α) · start`` per param group at ``step``."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        alpha = self._alpha(step)
        return [swa * alpha + base * (1 - alpha) for swa, base in zip(self.swa_lrs, bases)]
