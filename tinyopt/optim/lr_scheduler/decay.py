"""Multiplicative decays with PyTorch's names: LambdaLR, MultiplicativeLR, StepLR,
MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR.

Each sets ``lr = base_lr · factor(step)``; the factors are the closed forms
of ``closed_forms`` (``η₀ γ^⌊t/s⌋``, ``η₀ γ^t``, ...). MultiplicativeLR's
factor is a running product ``Π_{k=1..t} λ(k)``; it is kept in a cache filled
in step order, so the step-by-step and the closed form are the same numbers.

Example (decay by 10x at epochs 30 and 80)::

    >>> scheduler = MultiStepLR(optimizer, milestones=[30, 80], gamma=0.1)
    >>> for epoch in range(100):
    ...     train_one_epoch(); scheduler.step()
"""
from . import closed_forms as cf
from .base import LRScheduler, per_group


class _FactorScheduler(LRScheduler):
    """A scheduler whose every group follows ``closed_form(step, base_lr, **hyper)``."""

    def _closed_form(self, step, base_lr):
        raise NotImplementedError

    def lr_at(self, step, base_lrs=None):
        """The learning rate of every param group at ``step``."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [self._closed_form(step, base) for base in bases]


def _lambdas(lr_lambda, optimizer):
    lambdas = per_group("lr_lambda", lr_lambda, optimizer)
    for fn in lambdas:
        if not callable(fn):
            raise TypeError(f"lr_lambda must be a function of the step, got {type(fn).__name__}")
    return lambdas


class LambdaLR(LRScheduler):
    """``lr = base_lr · lr_lambda(step)``; a list of lambdas gives each param group its own
    schedule (e.g. warmup only for the head: ``[lambda t: 1.0, lambda t: min(1, t / 100)]``).

    Args:
        optimizer: the optimizer.
        lr_lambda: a function of the step, or one per param group.
        last_epoch: -1 to start (see ``LRScheduler``).
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _lambdas(lr_lambda, optimizer)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, step, base_lrs=None):
        """``base_lr · lr_lambda(step)`` for every param group."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [base * fn(step) for fn, base in zip(self.lr_lambdas, bases)]


class MultiplicativeLR(LRScheduler):
    """``lr_t = lr_{t-1} · lr_lambda(t)`` from step 1 on, i.e. ``base_lr · Π_{k=1..t} λ(k)``.

    Args:
        optimizer: the optimizer.
        lr_lambda: a function of the step giving the factor, or one per param group.
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _lambdas(lr_lambda, optimizer)
        self._products = [[1.0] for _ in self.lr_lambdas]  # products[g][t] = Π_{k<=t} λ_g(k)
        super().__init__(optimizer, last_epoch)

    def _product(self, group, step):
        products = self._products[group]
        while len(products) <= step:
            products.append(products[-1] * self.lr_lambdas[group](len(products)))
        return products[step]

    def lr_at(self, step, base_lrs=None):
        """``base_lr · Π_{k=1..step} lr_lambda(k)`` for every param group."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [base * self._product(g, step) for g, base in enumerate(bases)]


class StepLR(_FactorScheduler):
    """``lr = base_lr · gamma^(step // step_size)``.

    Args:
        optimizer: the optimizer.
        step_size: steps between decays, a positive int.
        gamma: the decay factor (default 0.1).
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        cf.check_positive_int("step_size", step_size)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def _closed_form(self, step, base_lr):
        return cf.step_lr(step, base_lr, self.step_size, self.gamma)


class MultiStepLR(_FactorScheduler):
    """``lr = base_lr · gamma^k``, k the number of milestones passed.

    Args:
        optimizer: the optimizer.
        milestones: strictly increasing step indices (PyTorch also accepts
            repeats and any order; here that is an error).
        gamma: the decay factor (default 0.1).
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = cf.check_milestones(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def _closed_form(self, step, base_lr):
        return cf.multistep_lr(step, base_lr, self.milestones, self.gamma)


class ConstantLR(_FactorScheduler):
    """``lr = base_lr · factor`` for the first ``total_iters`` steps, then ``base_lr``.

    Args:
        optimizer: the optimizer.
        factor: in [0, 1] (default 1/3).
        total_iters: steps at the reduced rate (default 5).
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        cf.constant_lr(0, 1.0, factor, total_iters)  # checks the arguments
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

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

    def _closed_form(self, step, base_lr):
        return cf.linear_lr(step, base_lr, self.start_factor, self.end_factor, self.total_iters)


class ExponentialLR(_FactorScheduler):
    """``lr = base_lr · gamma^step``.

    Args:
        optimizer: the optimizer.
        gamma: the factor per step, >= 0.
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        cf.exponential_lr(0, 1.0, gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _closed_form(self, step, base_lr):
        return cf.exponential_lr(step, base_lr, self.gamma)


class PolynomialLR(_FactorScheduler):
    """``lr = base_lr · (1 - min(step, total_iters) / total_iters)^power``.

    Args:
        optimizer: the optimizer.
        total_iters: steps until the rate reaches 0 (default 5).
        power: the polynomial's power (default 1, linear decay).
        last_epoch: -1 to start.
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        cf.check_positive_int("total_iters", total_iters)
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def _closed_form(self, step, base_lr):
        return cf.polynomial_lr(step, base_lr, self.total_iters, self.power)
