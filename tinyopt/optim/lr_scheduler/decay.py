"""Multiplicative decays with PyTorch's names: LambdaLR, MultiplicativeLR, StepLR,
MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR.

Each schedule is ``lr = base_lr · factor(step)`` (closed forms in
``closed_forms``: ``η₀ γ^⌊t/s⌋``, ``η₀ γ^t``, ...). Stepping applies PyTorch's
chainable form, the factor's ratio between consecutive steps to the rate the
group holds (``lr ← lr · γ`` at a StepLR boundary), so these compose with
each other and with rates set by hand. LambdaLR is absolute, as in PyTorch:
``base_lr · λ(t)`` whatever the group holds.

Example (decay by 10x at epochs 30 and 80)::

    >>> scheduler = MultiStepLR(optimizer, milestones=[30, 80], gamma=0.1)
    >>> for epoch in range(100):
    ...     train_one_epoch(); scheduler.step()
"""
import types
from collections import Counter

from . import closed_forms as cf
from .base import LRScheduler, group_values


def _lambdas(lr_lambda, optimizer):
    count = len(optimizer.param_groups)
    if not isinstance(lr_lambda, (list, tuple)):
        lambdas = [lr_lambda] * count
    elif len(lr_lambda) != count:
        raise ValueError(f"Expected {count} lr_lambdas, but got {len(lr_lambda)}")
    else:
        lambdas = list(lr_lambda)
    for fn in lambdas:
        if not callable(fn):
            raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
    return lambdas


class _LambdaState:
    """PyTorch's state_dict for lambdas: a plain function is saved as None, a callable
    object as a copy of its ``__dict__`` (restored into the object on load)."""

    def state_dict(self):
        state = super().state_dict()
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
                               for fn in self.lr_lambdas]
        return state

    def _check_state_dict(self, state_dict):
        super()._check_state_dict(state_dict)
        for index, saved in enumerate(state_dict["lr_lambdas"]):
            if saved is not None and (not isinstance(saved, dict)
                                      or not hasattr(self.lr_lambdas[index], "__dict__")):
                raise ValueError(f"lr_lambdas[{index}] of the state is {saved!r}; expected "
                                 "None or the __dict__ of a callable object")

    def _load_checked(self, state_dict):
        for fn, saved in zip(self.lr_lambdas, state_dict["lr_lambdas"]):
            if saved is not None:
                fn.__dict__.update(saved)
        super()._load_checked({k: v for k, v in state_dict.items() if k != "lr_lambdas"})


class LambdaLR(_LambdaState, LRScheduler):
    """``lr = base_lr · lr_lambda(step)``; a list of lambdas gives each param group its own
    schedule (e.g. warmup only for the head: ``[lambda t: 1.0, lambda t: min(1, t / 100)]``).

    Args:
        optimizer: the optimizer.
        lr_lambda: a function of the step, or one per param group.
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas(lr_lambda, optimizer)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """``base_lr · lr_lambda(last_epoch)`` for every param group."""
        self._warn_if_get_lr_called_outside_step()
        return self.lr_at(self.last_epoch)

    def lr_at(self, step, base_lrs=None):
        """``base_lr · lr_lambda(step)`` for every param group."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [base * fn(step) for fn, base in zip(self.lr_lambdas, bases)]


class MultiplicativeLR(_LambdaState, LRScheduler):
    """``lr_t = lr_{t-1} · lr_lambda(t)`` from step 1 on, i.e. ``base_lr · Π_{k=1..t} λ(k)``.

    Args:
        optimizer: the optimizer.
        lr_lambda: a function of the step giving the factor, or one per param group.
        last_epoch: -1 to start.
    """
    chainable = True

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas(lr_lambda, optimizer)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The group's rate times ``lr_lambda(last_epoch)``."""
        self._warn_if_get_lr_called_outside_step()
        if self._is_initial:
            return group_values(self.optimizer, "lr")
        return [group["lr"] * fn(self.last_epoch)
                for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups, strict=True)]

    def lr_at(self, step, base_lrs=None):
        """``base_lr · Π_{k=1..step} lr_lambda(k)`` for every param group."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        rates = []
        for fn, base in zip(self.lr_lambdas, bases):
            for k in range(1, step + 1):
                base = base * fn(k)
            rates.append(base)
        return rates


class _FactorScheduler(LRScheduler):
    """A chainable scheduler whose closed form is ``closed_form(step, base_lr)`` per group."""
    chainable = True

    def _closed_form(self, step, base_lr):
        raise NotImplementedError

    def lr_at(self, step, base_lrs=None):
        """The learning rate of every param group at ``step``."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [self._closed_form(step, base) for base in bases]

    def _get_closed_form_lr(self):
        return self.lr_at(self.last_epoch)

    def _scaled(self, factor):
        """Every group's rate times ``factor``."""
        return [group["lr"] * factor for group in self.optimizer.param_groups]


class StepLR(_FactorScheduler):
    """``lr = base_lr · gamma^(step // step_size)``.

    Args:
        optimizer: the optimizer.
        step_size: steps between decays, a positive int.
        gamma: the decay factor, finite and >= 0 (default 0.1).
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        cf.step_lr(0, 1.0, step_size, gamma)  # checks the arguments
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The group's rate, times ``gamma`` at every multiple of ``step_size``."""
        self._warn_if_get_lr_called_outside_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return group_values(self.optimizer, "lr")
        return self._scaled(self.gamma)

    def _closed_form(self, step, base_lr):
        return cf.step_lr(step, base_lr, self.step_size, self.gamma)


class MultiStepLR(_FactorScheduler):
    """``lr = base_lr · gamma^k``, k the number of milestones passed.

    Args:
        optimizer: the optimizer.
        milestones: strictly increasing step indices (PyTorch also accepts
            repeats and any order; here that is an error).
        gamma: the decay factor, finite and >= 0 (default 0.1).
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        cf.multistep_lr(0, 1.0, list(milestones), gamma)  # checks the arguments
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The group's rate, times ``gamma`` at each milestone."""
        self._warn_if_get_lr_called_outside_step()
        if self.last_epoch not in self.milestones:
            return group_values(self.optimizer, "lr")
        return self._scaled(self.gamma ** self.milestones[self.last_epoch])

    def _closed_form(self, step, base_lr):
        return cf.multistep_lr(step, base_lr, sorted(self.milestones.elements()), self.gamma)


class ConstantLR(_FactorScheduler):
    """``lr = base_lr · factor`` for the first ``total_iters`` steps, then ``base_lr``.

    Args:
        optimizer: the optimizer.
        factor: in (0, 1] (default 1/3; PyTorch allows 0, which divides by zero at
            ``total_iters``).
        total_iters: steps at the reduced rate, int >= 0 (default 5).
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        cf.constant_lr(0, 1.0, factor, total_iters)  # checks the arguments
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Times ``factor`` at step 0, divided by it again at ``total_iters``."""
        self._warn_if_get_lr_called_outside_step()
        if self.last_epoch == 0:
            return self._scaled(self.factor)
        if self.last_epoch != self.total_iters:
            return group_values(self.optimizer, "lr")
        return self._scaled(1.0 / self.factor)

    def _closed_form(self, step, base_lr):
        return cf.constant_lr(step, base_lr, self.factor, self.total_iters)


class LinearLR(_FactorScheduler):
    """The factor moves linearly from ``start_factor`` to ``end_factor`` over ``total_iters``
    steps, then stays (the usual linear warmup).

    Args:
        optimizer: the optimizer.
        start_factor: in (0, 1] (default 1/3).
        end_factor: in [0, 1] (default 1).
        total_iters: a positive int (default 5).
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        cf.linear_lr(0, 1.0, start_factor, end_factor, total_iters)  # checks the arguments
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Times ``start_factor`` at step 0, then the ratio of consecutive factors."""
        self._warn_if_get_lr_called_outside_step()
        if self.last_epoch == 0:
            return self._scaled(self.start_factor)
        if self._is_initial or self.last_epoch > self.total_iters:
            return group_values(self.optimizer, "lr")
        change = self.end_factor - self.start_factor
        return self._scaled(1.0 + change / (self.total_iters * self.start_factor
                                            + (self.last_epoch - 1) * change))

    def _closed_form(self, step, base_lr):
        return cf.linear_lr(step, base_lr, self.start_factor, self.end_factor, self.total_iters)


class ExponentialLR(_FactorScheduler):
    """``lr = base_lr · gamma^step``.

    Args:
        optimizer: the optimizer.
        gamma: the factor per step, finite and >= 0.
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        cf.exponential_lr(0, 1.0, gamma)  # checks the arguments
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The group's rate times ``gamma``."""
        self._warn_if_get_lr_called_outside_step()
        if self._is_initial:
            return group_values(self.optimizer, "lr")
        return self._scaled(self.gamma)

    def _closed_form(self, step, base_lr):
        return cf.exponential_lr(step, base_lr, self.gamma)


class PolynomialLR(_FactorScheduler):
    """``lr = base_lr · (1 - min(step, total_iters) / total_iters)^power``.

    Args:
        optimizer: the optimizer.
        total_iters: steps until the rate reaches 0, a positive int (default 5).
        power: the polynomial's power, finite and >= 0 (default 1, linear decay).
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        cf.polynomial_lr(0, 1.0, total_iters, power)  # checks the arguments
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The group's rate times the ratio of consecutive factors."""
        self._warn_if_get_lr_called_outside_step()
        if self._is_initial or self.last_epoch > self.total_iters:
            return group_values(self.optimizer, "lr")
        return self._scaled(((1.0 - self.last_epoch / self.total_iters)
                             / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power)

    def _closed_form(self, step, base_lr):
        return cf.polynomial_lr(step, base_lr, self.total_iters, self.power)
