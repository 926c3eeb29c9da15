"""Cyclical schedules that also cycle momentum: CyclicLR and OneCycleLR (Leslie Smith).

CyclicLR (Smith 2017) moves the rate along a triangle between ``base_lr``
and ``max_lr``; ``triangular2`` halves the amplitude every cycle and
``exp_range`` multiplies it by ``gamma^step``. OneCycleLR (Smith & Topin
2018) warms up from ``max_lr / div_factor`` to ``max_lr`` over ``pct_start``
of the run and anneals to ``max_lr / (div_factor · final_div_factor)``.

Both move momentum opposite to the rate (``cycle_momentum=True``): SGD's
``'momentum'``, or beta1 of Adam-family optimizers (``betas[0]``). Both set
absolute rates (not chainable, as in PyTorch) and keep PyTorch's state: the
boundaries live in the param groups (``'max_lr'``, ``'min_lr'``,
``'initial_lr'``, ``'max_momentum'``, ``'base_momentum'``). The formulas are
``closed_forms.cyclic_lr``/``cyclic_momentum`` and
``one_cycle_lr``/``one_cycle_momentum``; ``get_lr`` computes the same numbers.
"""
import types

from . import closed_forms as cf
from .base import LRScheduler, per_group, set_group_value


def _momentum_groups(scheduler, optimizer, base_momentum, max_momentum, last_epoch):
    """Check the optimizer has momentum or betas; store the bounds in the groups (PyTorch)."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` "
                         "option enabled")
    scheduler.use_beta1 = "betas" in optimizer.defaults
    bases = per_group("base_momentum", base_momentum, optimizer)
    highs = per_group("max_momentum", max_momentum, optimizer)
    for name, values in (("base_momentum", bases), ("max_momentum", highs)):
        for value in values:
            cf.check_rate(name, value)
    if last_epoch == -1:
        for high, low, group in zip(highs, bases, optimizer.param_groups, strict=True):
            _set_momentum(scheduler, group, high)
            group["max_momentum"], group["base_momentum"] = high, low
    return bases, highs


def _set_momentum(scheduler, group, momentum):
    if scheduler.use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


class CyclicLR(LRScheduler):
    """Cyclical learning rate (and inverse cyclical momentum), stepped every batch.

    Args:
        optimizer: the optimizer.
        base_lr, max_lr: the triangle's bottom and top (finite, >= 0), one value or one per group.
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
        self.optimizer = optimizer
        base_lrs = per_group("base_lr", base_lr, optimizer)
        self.max_lrs = per_group("max_lr", max_lr, optimizer)
        for name, values in (("base_lr", base_lrs), ("max_lr", self.max_lrs)):
            for value in values:
                cf.check_rate(name, value)
        cf.check_rate("gamma", gamma)
        cf.cyclic_lr(0, 0.0, 1.0, step_size_up, step_size_down, mode, gamma, scale_fn,
                     scale_mode)  # checks the shape's arguments
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                set_group_value(group, "lr", lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode, self.gamma = mode, gamma
        self._scale_fn_custom, self.scale_mode = scale_fn, scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.base_momentums, self.max_momentums = _momentum_groups(
                self, optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self):
        if self._scale_fn_custom is not None:
            return
        self._scale_fn_ref = {"triangular": lambda x: 1.0,
                              "triangular2": lambda x: 1 / (2.0 ** (x - 1)),
                              "exp_range": lambda x: self.gamma ** x}[self.mode]
        self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x):
        """The amplitude's scale at cycle (or iteration) ``x``."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    def _shape(self):
        up = self.total_size * self.step_ratio
        return dict(step_size_up=up, step_size_down=self.total_size - up, scale_fn=self.scale_fn,
                    scale_mode=self.scale_mode)

    def get_lr(self):
        """The rates at ``last_epoch``; moves the momentums too, as PyTorch's does."""
        self._warn_if_get_lr_called_outside_step()
        if self.cycle_momentum:
            for group, momentum in zip(self.optimizer.param_groups,
                                       self.momentum_at(self.last_epoch), strict=True):
                _set_momentum(self, group, momentum)
        return self.lr_at(self.last_epoch)

    def lr_at(self, step, base_lrs=None):
        """The rate of every param group at ``step`` (``base_lrs``: the triangles' bottoms)."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [cf.cyclic_lr(step, low, high, **self._shape())
                for low, high in zip(bases, self.max_lrs, strict=True)]

    def momentum_at(self, step):
        """The momentum (or beta1) of every param group at ``step``, or None."""
        if not self.cycle_momentum:
            return None
        return [cf.cyclic_momentum(step, low, high, **self._shape())
                for low, high in zip(self.base_momentums, self.max_momentums, strict=True)]

    def state_dict(self):
        """PyTorch's layout: no ``_scale_fn_ref``; a custom ``scale_fn`` saved as its
        ``__dict__`` if it is a callable object, else None."""
        state = super().state_dict()
        state.pop("_scale_fn_ref", None)
        fn = self._scale_fn_custom
        state["_scale_fn_custom"] = (dict(fn.__dict__) if fn is not None
                                     and not isinstance(fn, types.FunctionType) else None)
        return state

    def _load_checked(self, state_dict):
        saved = state_dict["_scale_fn_custom"]
        if saved is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(saved)
        super()._load_checked({k: v for k, v in state_dict.items() if k != "_scale_fn_custom"})
        self._init_scale_fn()


class OneCycleLR(LRScheduler):
    """The 1cycle policy, stepped every batch; stepping past ``total_steps`` raises.

    Args:
        optimizer: the optimizer.
        max_lr: the peak rate (finite, >= 0), one value or one per group.
        total_steps: steps in the cycle; or give ``epochs`` and ``steps_per_epoch``.
        pct_start: fraction of the cycle spent warming up, in (0, 1) (default 0.3).
        anneal_strategy: 'cos' (default) or 'linear'.
        cycle_momentum: move momentum (or beta1) opposite to the rate.
        base_momentum, max_momentum: momentum at the peak / at the ends.
        div_factor: the start rate is ``max_lr / div_factor`` (> 0, default 25).
        final_div_factor: the last rate is ``start / final_div_factor`` (> 0, default 1e4).
        three_phase: go back down to the start rate before the final anneal.
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        self.optimizer = optimizer
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("You must define either total_steps OR (epochs AND "
                                 "steps_per_epoch)")
            cf.check_positive_int("epochs", epochs)
            cf.check_positive_int("steps_per_epoch", steps_per_epoch)
            total_steps = epochs * steps_per_epoch
        cf.one_cycle_lr(0, 1.0, total_steps, pct_start, anneal_strategy)  # checks them
        for name, value in (("div_factor", div_factor), ("final_div_factor", final_div_factor)):
            cf.check_rate(name, value)
            if value == 0:
                raise ValueError(f"{name} must be > 0, got {value!r}")
        self.total_steps, self._anneal_func_type = total_steps, anneal_strategy
        ends = [float(pct_start * total_steps) - 1, float(2 * pct_start * total_steps) - 2,
                total_steps - 1]
        names = ([("initial_lr", "max_lr", "max_momentum", "base_momentum"),
                  ("max_lr", "initial_lr", "base_momentum", "max_momentum"),
                  ("initial_lr", "min_lr", "max_momentum", "max_momentum")] if three_phase
                 else [("initial_lr", "max_lr", "max_momentum", "base_momentum"),
                       ("max_lr", "min_lr", "base_momentum", "max_momentum")])
        ends = ends if three_phase else [ends[0], ends[2]]
        self._schedule_phases = [
            dict(end_step=end, start_lr=a, end_lr=b, start_momentum=c, end_momentum=d)
            for end, (a, b, c, d) in zip(ends, names)]
        max_lrs = per_group("max_lr", max_lr, optimizer)
        for value in max_lrs:
            cf.check_rate("max_lr", value)
        if last_epoch == -1:
            for peak, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            _momentum_groups(self, optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The rates at ``last_epoch`` from the groups' bounds; moves the momentums too."""
        self._warn_if_get_lr_called_outside_step()
        if self.last_epoch > self.total_steps:
            raise ValueError(
                f"Tried to step {self.last_epoch} times. The specified number of total steps "
                f"is {self.total_steps}. To train longer, build OneCycleLR with a larger "
                "total_steps (or epochs * steps_per_epoch counting every scheduler.step()), or "
                "continue after it with another schedule, e.g. SequentialLR(optimizer, "
                f"[one_cycle, ConstantLR(optimizer, factor=1.0)], milestones=[{self.total_steps}])")
        if self.cycle_momentum:
            for group, momentum in zip(self.optimizer.param_groups,
                                       self.momentum_at(self.last_epoch)):
                _set_momentum(self, group, momentum)
        return self.lr_at(self.last_epoch)

    def _anneal(self, step, group, start, end):
        """Walk the phases to ``step``; anneal between the group's values named by the phase."""
        phase_start = 0.0
        for index, phase in enumerate(self._schedule_phases):
            if step <= phase["end_step"] or index == len(self._schedule_phases) - 1:
                pct = (step - phase_start) / (phase["end_step"] - phase_start)
                return cf.anneal(group[phase[start]], group[phase[end]], pct,
                                 self._anneal_func_type)
            phase_start = phase["end_step"]

    def lr_at(self, step, base_lrs=None):
        """The rate of every param group at ``step`` (``base_lrs``: the start rates)."""
        groups = self.optimizer.param_groups
        if base_lrs is not None:
            groups = [{**g, "initial_lr": b, "max_lr": g["max_lr"] * b / g["initial_lr"],
                       "min_lr": g["min_lr"] * b / g["initial_lr"]}
                      for g, b in zip(groups, base_lrs)]
        return [self._anneal(step, group, "start_lr", "end_lr") for group in groups]

    def momentum_at(self, step):
        """The momentum (or beta1) of every param group at ``step``, or None."""
        if not self.cycle_momentum:
            return None
        return [self._anneal(step, group, "start_momentum", "end_momentum")
                for group in self.optimizer.param_groups]
