"""Learning-rate schedulers with ``torch.optim.lr_scheduler``'s names, plus their closed forms.

Every scheduler is a pure function of its step (``scheduler.lr_at(step)``),
built on the formulas of ``closed_forms``, which also plot a schedule
without an optimizer::

    >>> from tinyopt.optim.lr_scheduler import closed_forms as cf
    >>> lrs = [cf.warmup_cosine_lr(t, 3e-4, warmup_steps=100, total_steps=1000)
    ...        for t in range(1000)]

Files: ``base`` (LRScheduler), ``decay`` (Lambda, Multiplicative, Step,
MultiStep, Constant, Linear, Exponential, Polynomial), ``cosine`` (cosine
annealing, warm restarts), ``cyclic`` (CyclicLR, OneCycleLR), ``plateau``
(ReduceLROnPlateau), ``modern`` (warmup-cosine, warmup-stable-decay,
inverse square root), ``combinators`` (SequentialLR, ChainedScheduler,
PerGroupLR), ``swa_lr`` (SWALR).
"""
from . import closed_forms
from .base import LRScheduler
from .combinators import ChainedScheduler, PerGroupLR, SequentialLR
from .cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from .cyclic import CyclicLR, OneCycleLR
from .decay import (ConstantLR, ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR,
                    MultiStepLR, PolynomialLR, StepLR)
from .modern import InverseSqrtLR, WarmupCosineLR, WarmupStableDecayLR
from .plateau import ReduceLROnPlateau
from .swa_lr import SWALR

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
           "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
           "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "ReduceLROnPlateau",
           "SequentialLR", "ChainedScheduler", "PerGroupLR", "WarmupCosineLR",
           "WarmupStableDecayLR", "InverseSqrtLR", "SWALR", "closed_forms"]
