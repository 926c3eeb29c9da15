"""Cyclical schedules that also cycle momentum: CyclicLR and OneCycleLR (Leslie Smith).

CyclicLR (Smith 2017) moves the rate along a triangle between ``base_lr``
and ``max_lr``; ``triangular2`` halves the amplitude every cycle and
``exp_range`` multiplies it by ``gamma^step``. OneCycleLR (Smith & Topin
2018) warms up from ``max_lr / div_factor`` to ``max_lr`` over ``pct_start``
of the run and anneals to ``max_lr / (div_factor · final_div_factor)``.

Both move momentum opposite to the rate (``cycle_momentum=True``): SGD's
``'momentum'``, or beta1 of Adam-family optimizers (``betas[0]``). The
formulas are ``closed_forms.cyclic_lr``/``cyclic_momentum`` and
``one_cycle_lr``/``one_cycle_momentum``. Both set absolute rates: they
ignore the base rates handed down by a ``ChainedScheduler``, as in PyTorch.
"""
from . import closed_forms as cf
from .base import LRScheduler, per_group


def _check_momentum_support(optimizer):
    defaults = getattr(optimizer, "defaults", optimizer.param_groups[0])
    if "momentum" not in defaults and "betas" not in defaults:
        raise ValueError(f"cycle_momentum=True needs an optimizer with 'momentum' or 'betas'; "
                         f"{type(optimizer).__name__} has neither (pass cycle_momentum=False)")


class CyclicLR(LRScheduler):
    """Cyclical learning rate (and inverse cyclical momentum), stepped every batch.

    Args:
        optimizer: the optimizer.
        base_lr, max_lr: the triangle's bottom and top, one value or one per group.
        step_size_up: steps from bottom to top (default 2000).
        step_size_down: steps from top to bottom (default ``step_size_up``).
        mode: 'triangular', 'triangular2' or 'exp_range' (ignored with ``scale_fn``).
        gamma: exp_range's factor per step.
        scale_fn: a custom amplitude scale, a function of the cycle or step.
        scale_mode: 'cycle' or 'iterations', what ``scale_fn`` receives.
        cycle_momentum: move momentum between ``max_momentum`` and ``base_momentum``.
        base_momentum, max_momentum: momentum at the top / bottom of the rate.
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        lrs = per_group("base_lr", base_lr, optimizer)
        self.max_lrs = per_group("max_lr", max_lr, optimizer)
        self.step_size_up, self.step_size_down = step_size_up, step_size_down
        self.mode, self.gamma, self.scale_fn, self.scale_mode = mode, gamma, scale_fn, scale_mode
        cf.cyclic_lr(0, 0.0, 1.0, **self._shape())  # checks the arguments
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            _check_momentum_support(optimizer)
            self.base_momentums = per_group("base_momentum", base_momentum, optimizer)
            self.max_momentums = per_group("max_momentum", max_momentum, optimizer)
        for group, lr in zip(optimizer.param_groups, lrs):
            group["lr"] = lr
        super().__init__(optimizer, last_epoch)
        self.base_lrs = lrs

    def _shape(self):
        return dict(step_size_up=self.step_size_up, step_size_down=self.step_size_down,
                    mode=self.mode, gamma=self.gamma, scale_fn=self.scale_fn,
                    scale_mode=self.scale_mode)

    def lr_at(self, step, base_lrs=None):
        """The rate of every param group at ``step`` (absolute: ``base_lrs`` is ignored)."""
        return [cf.cyclic_lr(step, low, high, **self._shape())
                for low, high in zip(self.base_lrs, self.max_lrs)]

    def momentum_at(self, step):
        """The momentum (or beta1) of every param group at ``step``, or None."""
        if not self.cycle_momentum:
            return None
        return [cf.cyclic_momentum(step, low, high, **self._shape())
                for low, high in zip(self.base_momentums, self.max_momentums)]


class OneCycleLR(LRScheduler):
    """The 1cycle policy, stepped every batch; stepping past ``total_steps`` raises.

    Args:
        optimizer: the optimizer.
        max_lr: the peak rate, one value or one per group.
        total_steps: steps in the cycle; or give ``epochs`` and ``steps_per_epoch``.
        pct_start: fraction of the cycle spent warming up, in (0, 1) (default 0.3).
        anneal_strategy: 'cos' (default) or 'linear'.
        cycle_momentum: move momentum (or beta1) opposite to the rate.
        base_momentum, max_momentum: momentum at the peak / at the ends.
        div_factor: the start rate is ``max_lr / div_factor`` (default 25).
        final_div_factor: the last rate is ``start / final_div_factor`` (default 1e4).
        three_phase: go back down to the start rate before the final anneal.
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR needs total_steps, or epochs and steps_per_epoch")
            cf.check_positive_int("epochs", epochs)
            cf.check_positive_int("steps_per_epoch", steps_per_epoch)
            total_steps = epochs * steps_per_epoch
        self.total_steps, self.pct_start = total_steps, pct_start
        self.anneal_strategy, self.three_phase = anneal_strategy, three_phase
        self.div_factor, self.final_div_factor = div_factor, final_div_factor
        self.max_lrs = per_group("max_lr", max_lr, optimizer)
        cf.one_cycle_lr(0, 1.0, **self._shape())  # checks the arguments
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            _check_momentum_support(optimizer)
            self.base_momentums = per_group("base_momentum", base_momentum, optimizer)
            self.max_momentums = per_group("max_momentum", max_momentum, optimizer)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = [peak / div_factor for peak in self.max_lrs]

    def _shape(self):
        return dict(total_steps=self.total_steps, pct_start=self.pct_start,
                    anneal_strategy=self.anneal_strategy, three_phase=self.three_phase)

    def _advance(self, epoch=None, metrics=None, base_lrs=None):
        """Advance one step; raises ``ValueError`` (changing nothing) past ``total_steps``."""
        self.lr_at(self.last_epoch + 1 if epoch is None else epoch)
        super()._advance(epoch)

    def lr_at(self, step, base_lrs=None):
        """The rate of every param group at ``step`` (absolute: ``base_lrs`` is ignored)."""
        return [cf.one_cycle_lr(step, peak, div_factor=self.div_factor,
                                final_div_factor=self.final_div_factor, **self._shape())
                for peak in self.max_lrs]

    def momentum_at(self, step):
        """The momentum (or beta1) of every param group at ``step``, or None."""
        if not self.cycle_momentum:
            return None
        return [cf.one_cycle_momentum(step, base_momentum=low, max_momentum=high, **self._shape())
                for low, high in zip(self.base_momentums, self.max_momentums)]
