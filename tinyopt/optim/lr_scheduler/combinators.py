"""Schedulers built from schedulers: SequentialLR, ChainedScheduler, PerGroupLR.

- ``SequentialLR`` runs its schedulers one after another, switching at
  ``milestones``; each restarts from its step 0 (and from the base rates)
  when its turn comes.
- ``ChainedScheduler`` composes them: every step each scheduler's closed
  form is applied to the rates the previous one produced,
  ``lr = f_n(... f_2(f_1(base, t), t) ..., t)``. For multiplicative
  schedules this is PyTorch's product of factors; for the affine ones
  (cosine with ``eta_min``) PyTorch's recursion has no closed form and
  this composition is the one that does.
- ``PerGroupLR`` gives each param group its own scheduler (warmup for the
  head only, a different decay for the backbone).

All three accept ``ReduceLROnPlateau`` children: ``step(metric)`` passes
the metric on. The base rates are those of the first child: the groups'
rates before any child was built.
"""
from bisect import bisect_right

from . import closed_forms as cf
from .base import LRScheduler, check_optimizer


def _check_children(combinator, optimizer, schedulers):
    if not schedulers:
        raise ValueError(f"{combinator} needs at least one scheduler")
    for index, scheduler in enumerate(schedulers):
        if scheduler is None:
            continue
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(f"{combinator}: schedulers[{index}] is a "
                            f"{type(scheduler).__name__}, not an LRScheduler")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{combinator}: schedulers[{index}] "
                             f"({type(scheduler).__name__}) drives another optimizer")


class _Combinator(LRScheduler):
    """Shared state handling: counters here, each child's own state nested."""

    def __init__(self, optimizer, schedulers):
        check_optimizer(optimizer)
        self.optimizer, self.schedulers = optimizer, list(schedulers)
        first = next((s for s in self.schedulers if s is not None), None)
        self.base_lrs = list(first.base_lrs) if first is not None else [
            group["lr"] for group in optimizer.param_groups]
        self.last_epoch, self._step_count = 0, 1

    def step(self, metrics=None):
        """Advance one step; ``metrics`` feeds any ReduceLROnPlateau among the children."""
        if self._step_count == 1:
            self._warn_if_optimizer_not_stepped()
        self._advance(None, metrics)
        self._step_count += 1
        self._apply()

    def state_dict(self):
        """Counters, base rates and every child's ``state_dict()``."""
        return {"scheduler": type(self).__name__, "last_epoch": self.last_epoch,
                "_step_count": self._step_count, "base_lrs": list(self.base_lrs),
                "_last_lr": list(self._last_lr),
                "schedulers": [None if s is None else s.state_dict() for s in self.schedulers]}

    def load_state_dict(self, state_dict):
        """Restore ``state_dict()`` (children included) and write the rates into the optimizer."""
        children = state_dict.get("schedulers") if isinstance(state_dict, dict) else None
        if children is None or len(children) != len(self.schedulers):
            raise ValueError(f"{type(self).__name__}.load_state_dict expects the state of a "
                             f"{type(self).__name__} with {len(self.schedulers)} schedulers")
        for child, state in zip(self.schedulers, children):
            if child is not None:
                child.load_state_dict(state)
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "schedulers"})


class SequentialLR(_Combinator):
    """Run ``schedulers`` in turn: ``schedulers[i]`` from ``milestones[i-1]`` on.

    Args:
        optimizer: the optimizer all schedulers drive.
        schedulers: the schedulers, each built on ``optimizer``.
        milestones: strictly increasing steps, one fewer than schedulers.
        last_epoch: -1 to start.

    Example (5 steps of warmup, then cosine)::

        >>> warmup = LinearLR(opt, start_factor=0.1, total_iters=5)
        >>> cosine = CosineAnnealingLR(opt, T_max=95)
        >>> scheduler = SequentialLR(opt, [warmup, cosine], milestones=[5])
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check_children("SequentialLR", optimizer, schedulers)
        if any(s is None for s in schedulers):
            raise TypeError("SequentialLR: every entry of schedulers must be a scheduler")
        self.milestones = cf.check_milestones(milestones)
        if len(self.milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR needs one milestone fewer than schedulers: got "
                             f"{len(schedulers)} schedulers and {len(self.milestones)} milestones")
        super().__init__(optimizer, schedulers)
        self.last_epoch = last_epoch + 1
        child, local = self._locate(self.last_epoch)
        child.restart()
        if local:
            child._advance(local)
        self._apply()

    def _locate(self, step):
        """``(the scheduler in charge at step, its own step)``."""
        index = bisect_right(self.milestones, step)
        start = self.milestones[index - 1] if index else 0
        return self.schedulers[index], step - start

    def lr_at(self, step, base_lrs=None):
        """The rates at ``step``: those of the scheduler in charge, at its own step."""
        child, local = self._locate(step)
        return child.lr_at(local, self.base_lrs if base_lrs is None else base_lrs)

    def momentum_at(self, step):
        """The momentums of the scheduler in charge (None if it cycles none)."""
        child, local = self._locate(step)
        return child.momentum_at(local)

    def _advance(self, epoch=None, metrics=None, base_lrs=None):
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        child, local = self._locate(self.last_epoch)
        if local == 0:
            child.restart()
        else:
            child._advance(None, metrics, self.base_lrs if base_lrs is None else base_lrs)

    def restart(self):
        """Go back to step 0: the first scheduler, restarted."""
        self.last_epoch = 0
        self.schedulers[0].restart()


class ChainedScheduler(_Combinator):
    """Apply every scheduler each step, each to the rates the previous one produced.

    Args:
        schedulers: the schedulers, all on one optimizer.
        optimizer: that optimizer (default: the first scheduler's).
    """

    def __init__(self, schedulers, optimizer=None):
        schedulers = list(schedulers)
        optimizer = optimizer if optimizer is not None else (
            schedulers[0].optimizer if schedulers else None)
        _check_children("ChainedScheduler", optimizer, schedulers)
        if any(s is None for s in schedulers):
            raise TypeError("ChainedScheduler: every entry of schedulers must be a scheduler")
        super().__init__(optimizer, schedulers)
        self._apply()

    def lr_at(self, step, base_lrs=None):
        """The composed rates at ``step`` (children taken at the same offset from now)."""
        rates = self.base_lrs if base_lrs is None else base_lrs
        for child in self.schedulers:
            rates = child.lr_at(child._position() + step - self.last_epoch, rates)
        return rates

    def momentum_at(self, step):
        """The momentums of the last child that cycles them (None if none does)."""
        momentums = None
        for child in self.schedulers:
            momentums = child.momentum_at(child._position() + step - self.last_epoch) or momentums
        return momentums

    def _advance(self, epoch=None, metrics=None, base_lrs=None):
        self.last_epoch += 1
        rates = self.base_lrs if base_lrs is None else base_lrs
        for child in self.schedulers:
            child._advance(None, metrics, rates)
            rates = child.lr_at(child._position(), rates)

    def restart(self):
        """Go back to step 0, every child restarted."""
        self.last_epoch = 0
        for child in self.schedulers:
            child.restart()


class PerGroupLR(_Combinator):
    """A different scheduler for each param group: group i follows ``schedulers[i]``.

    Args:
        optimizer: the optimizer.
        schedulers: one scheduler per param group, each built on ``optimizer``
            (None keeps that group at its base rate).

    Example (warmup only for the head, group 1)::

        >>> body = CosineAnnealingLR(opt, T_max=1000)
        >>> head = SequentialLR(opt, [LinearLR(opt, 0.01, total_iters=100),
        ...                           CosineAnnealingLR(opt, T_max=900)], milestones=[100])
        >>> scheduler = PerGroupLR(opt, [body, head])
    """

    def __init__(self, optimizer, schedulers):
        schedulers = list(schedulers)
        if len(schedulers) != len(optimizer.param_groups):
            raise ValueError(f"PerGroupLR needs one scheduler per param group "
                             f"({len(optimizer.param_groups)}), got {len(schedulers)}")
        _check_children("PerGroupLR", optimizer, schedulers)
        super().__init__(optimizer, schedulers)
        self._apply()

    def lr_at(self, step, base_lrs=None):
        """Group i's rate from ``schedulers[i]`` at the same offset from now."""
        bases = self.base_lrs if base_lrs is None else base_lrs
        return [bases[i] if child is None else
                child.lr_at(child._position() + step - self.last_epoch, bases)[i]
                for i, child in enumerate(self.schedulers)]

    def momentum_at(self, step):
        """Group i's momentum from ``schedulers[i]`` (None where it cycles none)."""
        momentums = []
        for i, child in enumerate(self.schedulers):
            values = None if child is None else child.momentum_at(
                child._position() + step - self.last_epoch)
            momentums.append(None if values is None else values[i])
        return momentums

    def _advance(self, epoch=None, metrics=None, base_lrs=None):
        self.last_epoch += 1
        for child in self.schedulers:
            if child is not None:
                child._advance(None, metrics, self.base_lrs if base_lrs is None else base_lrs)

    def restart(self):
        """Go back to step 0, every child restarted."""
        self.last_epoch = 0
        for child in self.schedulers:
            if child is not None:
                child.restart()
