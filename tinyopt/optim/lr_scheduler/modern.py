"""Schedules modern training uses that PyTorch lacks: warmup + cosine to a floor,
warmup-stable-decay, inverse square root.

- ``WarmupCosineLR``: linear warmup from 0 over ``warmup_steps``, then a cosine
  from the base rate down to ``min_lr`` at ``total_steps`` (GPT, ViT, most
  transformer recipes).
- ``WarmupStableDecayLR``: warmup, a long flat phase at the base rate, and a
  short final decay (MiniCPM; Hägele et al. 2024, "Scaling laws and
  compute-optimal training beyond fixed training durations"): a run can be
  extended by branching a new decay off any point of the plateau.
- ``InverseSqrtLR``: ``η₀ · min(t / w, sqrt(w / t))``, the original
  Transformer's schedule normalised to peak at the base rate.

The formulas are in ``closed_forms`` (``warmup_cosine_lr``, ``wsd_lr``,
``inverse_sqrt_lr``). Warmups start at 0 on step 0, as Hugging Face's
schedules do. They are absolute (``get_lr`` is ``lr_at(last_epoch)`` from the
base rates, like LambdaLR): a ratio form has no value at a warmup's 0.
"""
from . import closed_forms as cf
from .base import LRScheduler, per_group


class WarmupCosineLR(LRScheduler):
    """Linear warmup then cosine decay to a floor.

    Args:
        optimizer: the optimizer.
        warmup_steps: steps of linear warmup from 0 (int >= 0, < total_steps).
        total_steps: the step at which the rate reaches ``min_lr``; it stays there after.
        min_lr: the floor, one value or one per param group (default 0).
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, last_epoch=-1):
        cf.warmup_cosine_lr(0, 1.0, warmup_steps, total_steps)  # checks the arguments
        self.warmup_steps, self.total_steps = warmup_steps, total_steps
        self.min_lrs = per_group("min_lr", min_lr, optimizer)
        for value in self.min_lrs:
            cf.check_rate("min_lr", value)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step, base_lrs=None):
        """The rate of every param group at ``step``."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [cf.warmup_cosine_lr(step, base, self.warmup_steps, self.total_steps, floor)
                for base, floor in zip(bases, self.min_lrs)]


class WarmupStableDecayLR(LRScheduler):
    """Warmup, a stable plateau at the base rate, then a decay to ``min_lr``.

    Args:
        optimizer: the optimizer.
        warmup_steps: steps of linear warmup from 0 (int >= 0).
        stable_steps: steps at the base rate (int >= 0).
        decay_steps: steps of the final decay (positive int).
        min_lr: the floor, one value or one per param group (default 0).
        decay_shape: 'linear' (default), 'cosine' or '1-sqrt'.
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, warmup_steps, stable_steps, decay_steps, min_lr=0.0,
                 decay_shape="linear", last_epoch=-1):
        cf.wsd_lr(0, 1.0, warmup_steps, stable_steps, decay_steps, 0.0, decay_shape)
        self.warmup_steps, self.stable_steps = warmup_steps, stable_steps
        self.decay_steps, self.decay_shape = decay_steps, decay_shape
        self.min_lrs = per_group("min_lr", min_lr, optimizer)
        for value in self.min_lrs:
            cf.check_rate("min_lr", value)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step, base_lrs=None):
        """The rate of every param group at ``step``."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [cf.wsd_lr(step, base, self.warmup_steps, self.stable_steps, self.decay_steps,
                          floor, self.decay_shape) for base, floor in zip(bases, self.min_lrs)]


class InverseSqrtLR(LRScheduler):
    """Linear warmup to the base rate at ``warmup_steps``, then decay as ``1/sqrt(step)``.

    Args:
        optimizer: the optimizer.
        warmup_steps: a positive int; the rate peaks there.
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, warmup_steps, last_epoch=-1):
        cf.check_positive_int("warmup_steps", warmup_steps)
        self.warmup_steps = warmup_steps
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step, base_lrs=None):
        """``base · min(step / w, sqrt(w / step))`` per param group."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [cf.inverse_sqrt_lr(step, base, self.warmup_steps) for base in bases]
