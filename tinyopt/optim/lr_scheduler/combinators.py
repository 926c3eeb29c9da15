"""Schedulers built from schedulers: SequentialLR, ChainedScheduler, PerGroupLR.

- ``SequentialLR`` (PyTorch's) runs its schedulers one after another,
  switching at ``milestones``; at its milestone a scheduler jumps to its
  step 0 in closed form (from the base rates ``'initial_lr'``).
- ``ChainedScheduler`` (PyTorch's) steps every child each step, in order, so
  chainable children multiply their effects; each child's ``get_last_lr()``
  is the rate after its own step.
- ``PerGroupLR`` (tinyopt's) gives each param group its own scheduler
  (warmup for the head only, a different decay for the backbone).

Unlike PyTorch's, SequentialLR and ChainedScheduler accept
``ReduceLROnPlateau`` children: ``step(metric)`` passes the metric on.
State dicts have PyTorch's layout (each child's state under ``'_schedulers'``);
a load checks every child before changing any.
"""
from bisect import bisect_right

from . import closed_forms as cf
from .base import LRScheduler, check_optimizer, group_values, set_group_value
from .plateau import ReduceLROnPlateau


def _check_children(combinator, optimizer, schedulers, allow_none=False):
    if len(schedulers) < 1:
        raise ValueError(f"{combinator} expects at least one scheduler, but got no scheduler.")
    for index, scheduler in enumerate(schedulers):
        if scheduler is None and allow_none:
            continue
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{combinator} at index {index} should have `optimizer` as its "
                            "attribute.")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{combinator} expects all schedulers to belong to the same "
                             f"optimizer, but got scheduler {type(scheduler).__name__} at index "
                             f"{index}, which drives another optimizer.")


def _step_child(scheduler, metrics):
    if isinstance(scheduler, ReduceLROnPlateau):
        if metrics is None:
            raise TypeError("a ReduceLROnPlateau among the schedulers needs the metric it "
                            "watches: scheduler.step(val_loss)")
        scheduler.step(metrics)
    else:
        scheduler.step()


class _Combinator(LRScheduler):
    """State handling shared by the combinators: each child's state under ``'_schedulers'``."""

    def state_dict(self):
        """Our attributes and every child's ``state_dict()`` (PyTorch's layout)."""
        state = {k: v for k, v in super().state_dict().items() if k != "_schedulers"}
        state["_schedulers"] = [None if s is None else s.state_dict() for s in self._schedulers]
        return state

    def _check_state_dict(self, state_dict):
        super()._check_state_dict(state_dict)
        children = state_dict["_schedulers"]
        if not isinstance(children, list) or len(children) != len(self._schedulers):
            count = len(children) if isinstance(children, list) else children
            raise ValueError(f"{type(self).__name__}.load_state_dict expects the state of a "
                             f"{type(self).__name__} with {len(self._schedulers)} schedulers, "
                             f"got {count!r}")
        for child, state in zip(self._schedulers, children):
            if child is not None:
                child._check_state_dict(state)

    def _load_checked(self, state_dict):
        for child, state in zip(self._schedulers, state_dict["_schedulers"]):
            if child is not None:
                child._load_checked(state)
        super()._load_checked({k: v for k, v in state_dict.items() if k != "_schedulers"})


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
        check_optimizer(optimizer)
        _check_children("SequentialLR", optimizer, schedulers)
        milestones = cf.check_milestones(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                f"than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to {len(milestones)}")
        self._schedulers, self._milestones = list(schedulers), milestones
        self.last_epoch, self.optimizer = last_epoch + 1, optimizer
        for group in optimizer.param_groups:
            set_group_value(group, "lr", group["initial_lr"])
        self.recursive_undo()
        index = bisect_right(self._milestones, 0)
        self._schedulers[index]._initial_step()
        self._last_lr = self._schedulers[index].get_last_lr()

    def recursive_undo(self, sched=None):
        """Undo the first step every (nested) child made when it was built."""
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                if s is not None:
                    self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self, metrics=None):
        """Advance one step; ``metrics`` feeds a ReduceLROnPlateau child."""
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        try:
            if index > 0 and self._milestones[index - 1] == self.last_epoch:
                scheduler._update_lr(0)
            else:
                _step_child(scheduler, metrics)
        except BaseException:
            self.last_epoch -= 1
            raise
        self._last_lr = scheduler.get_last_lr()

    def lr_at(self, step, base_lrs=None):
        """The rates at ``step``: the closed form of the scheduler in charge, at its own step."""
        index = bisect_right(self._milestones, step)
        start = self._milestones[index - 1] if index else 0
        return self._schedulers[index].lr_at(step - start, base_lrs)


class ChainedScheduler(_Combinator):
    """Step every scheduler each step, in order (PyTorch's ``ChainedScheduler``).

    Args:
        schedulers: the schedulers, all on one optimizer.
        optimizer: that optimizer (default: the first scheduler's).
    """

    def __init__(self, schedulers, optimizer=None):
        schedulers = list(schedulers)
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler expects at least one scheduler to be chained, "
                             "but got no scheduler.")
        optimizer = optimizer or schedulers[0].optimizer
        _check_children("ChainedScheduler", optimizer, schedulers)
        self._schedulers, self.optimizer = schedulers, optimizer
        self._last_lr = group_values(optimizer, "lr")

    def step(self, metrics=None):
        """Step every child; ``metrics`` feeds any ReduceLROnPlateau among them."""
        for scheduler in self._schedulers:
            _step_child(scheduler, metrics)
        self._last_lr = group_values(self.optimizer, "lr")

    def lr_at(self, step, base_lrs=None):
        """The children's closed forms at ``step``, each chainable one applied to the rates
        the previous ones produced (exact for multiplicative children; CosineAnnealingLR
        with ``eta_min > 0`` composes affinely, which PyTorch's recursion only approximates)."""
        rates = base_lrs if base_lrs is not None else self._schedulers[0].base_lrs
        for child in self._schedulers:
            rates = child.lr_at(step, rates) if child.chainable else child.lr_at(step)
        return rates


class PerGroupLR(_Combinator):
    """A different scheduler for each param group: group i follows ``schedulers[i]``.

    Args:
        optimizer: the optimizer.
        schedulers: one scheduler per param group, each built on ``optimizer``
            (None keeps that group at its base rate).

    Each child steps on the rates of the previous step, and only its group
    keeps the result (a child's own ``get_last_lr()`` is meaningful for its
    group only).

    Example (warmup only for the head, group 1)::

        >>> body = CosineAnnealingLR(opt, T_max=1000)
        >>> head = LinearLR(opt, 0.01, total_iters=100)
        >>> scheduler = PerGroupLR(opt, [body, head])
    """
    _KEYS = ("lr", "momentum", "betas")

    def __init__(self, optimizer, schedulers):
        check_optimizer(optimizer)
        schedulers = list(schedulers)
        if len(schedulers) != len(optimizer.param_groups):
            raise ValueError(f"PerGroupLR needs one scheduler per param group "
                             f"({len(optimizer.param_groups)}), got {len(schedulers)}")
        _check_children("PerGroupLR", optimizer, schedulers, allow_none=True)
        self._schedulers, self.optimizer = schedulers, optimizer
        for group in optimizer.param_groups:
            set_group_value(group, "lr", group.setdefault("initial_lr", group["lr"]))
        for child in schedulers:
            if child is not None:
                child.last_epoch -= 1
        self._each_group(lambda child: child._initial_step())

    def _each_group(self, advance):
        """Run ``advance(child)`` from the same starting rates; group i keeps child i's."""
        groups = self.optimizer.param_groups
        before = [{k: g[k] for k in self._KEYS if k in g} for g in groups]
        after = [dict(values) for values in before]
        for index, child in enumerate(self._schedulers):
            if child is None:
                continue
            for group, values in zip(groups, before):
                group.update(values)
            advance(child)
            after[index] = {k: groups[index][k] for k in before[index]}
        for group, values in zip(groups, after):
            group.update(values)
        self._last_lr = group_values(self.optimizer, "lr")

    def step(self, metrics=None):
        """Advance every child one step, each for its own group."""
        self._each_group(lambda child: _step_child(child, metrics))

    def lr_at(self, step, base_lrs=None):
        """Group i's rate from ``schedulers[i]``'s closed form (its base rate where None)."""
        bases = base_lrs if base_lrs is not None else [g["initial_lr"] for g in
                                                       self.optimizer.param_groups]
        return [bases[i] if child is None else child.lr_at(step, bases)[i]
                for i, child in enumerate(self._schedulers)]
