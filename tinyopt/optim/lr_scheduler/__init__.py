"""Learning-rate schedulers that behave as ``torch.optim.lr_scheduler``'s, plus closed forms.

The schedulers follow PyTorch 2.13: the first one built records each group's
rate in ``group['initial_lr']`` (its ``base_lrs``); ``step()`` applies the
chainable form (``lr ← lr · γ``), so schedulers stepped side by side
multiply their effects and a rate set by hand is kept; ``step(epoch)`` warns
and uses the closed form; ``last_epoch=n`` resumes from ``'initial_lr'``;
state dicts have PyTorch's keys; a subclass may override ``get_lr()``
(PyTorch's way) or define ``lr_at(step)`` (tinyopt's). Every built-in also
has ``lr_at(step)``, its closed form from ``closed_forms``, to plot a schedule
without stepping it::

    >>> from tinyopt.optim.lr_scheduler import closed_forms as cf
    >>> lrs = [cf.warmup_cosine_lr(t, 3e-4, warmup_steps=100, total_steps=1000)
    ...        for t in range(1000)]

Files: ``base`` (LRScheduler), ``decay`` (Lambda, Multiplicative, Step,
MultiStep, Constant, Linear, Exponential, Polynomial), ``cosine`` (cosine
annealing, warm restarts), ``cyclic`` (CyclicLR, OneCycleLR), ``plateau``
(ReduceLROnPlateau), ``modern`` (warmup-cosine, warmup-stable-decay,
inverse square root), ``combinators`` (SequentialLR, ChainedScheduler,
PerGroupLR), ``swa_lr`` (SWALR).

Deliberate differences from PyTorch 2.13 (each for a reason):

=====================================  ==============================================
tinyopt                                why
=====================================  ==============================================
Hyper-parameters are checked when a   PyTorch accepts them and the optimizer then
scheduler is built: gamma, eta_min,   steps with NaN or inf; here the error names the
power, max_lr, base_lr, swa_lr,       argument and value.
min_lr, momentum bounds, threshold,
eps must be finite and >= 0;
ConstantLR's factor in (0, 1] (0
divides by zero in the chainable
form); MultiStepLR's milestones
strictly increasing; OneCycleLR's
pct_start in (0, 1) (int or float);
step sizes, T_max, total_iters
positive ints.
``load_state_dict`` checks the state  PyTorch updates ``__dict__`` blindly, so a bad
first (same keys, int               state leaves a half-loaded scheduler; here a
``last_epoch``, per-group lists of    failed load changes nothing, for combinators
the right length, each child's        too.
state) and raises ``ValueError`` /
``TypeError``.
``load_state_dict`` writes the        ``optimizer.load_state_dict`` and
restored ``get_last_lr()`` into the   ``scheduler.load_state_dict`` then give the same
param groups.                         rates in either order (PyTorch needs the
                                      scheduler built before the optimizer loads).
A step that raises (OneCycleLR past   A failed call changes nothing; PyTorch has
``total_steps``) leaves               already advanced ``last_epoch``. The message
``last_epoch`` and ``_step_count``    adds how to train longer.
as they were.
CosineAnnealingWarmRestarts'          PyTorch's floating-point logarithm can land one
``step(epoch)`` finds the cycle by    cycle early exactly at a restart (T_mult > 1);
walking the cycles.                   walking is exact, so ``step()`` and
                                      ``step(epoch)`` agree.
SequentialLR and ChainedScheduler     PyTorch refuses ReduceLROnPlateau children; here
accept ReduceLROnPlateau children     "warmup, then reduce on plateau" is one
(``step(metric)`` passes the metric   scheduler.
on).
Extra schedulers: WarmupCosineLR,     The schedules modern training uses. They are
WarmupStableDecayLR, InverseSqrtLR,   absolute (``base_lr · f(t)``, like LambdaLR):
PerGroupLR.                           a warmup's 0 has no chainable ratio.
``lr_at(step)`` closed forms on       To plot a schedule without an optimizer loop;
every built-in.                       chainable schedulers step by PyTorch's
                                      recursion, equal to ``lr_at`` up to rounding.
The call-order warning reads          tinyopt does not wrap ``optimizer.step``: its
``optimizer.steps_taken`` (and a      optimizers count their steps; a replaced
GradScaler's skipped steps); a        ``optimizer.step`` is noticed by comparing it
replaced step is noticed by           with the one seen at build time. The warnings'
comparison.                           texts are PyTorch's.
=====================================  ==============================================
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
