"""``LRScheduler``: what every scheduler shares — base rates, the step counter, state_dict.

A scheduler is a pure function of its step count: ``lr_at(step)`` gives the
learning rate of every param group from the closed forms in
``closed_forms``, and ``step()`` only advances ``last_epoch`` and writes
``lr_at(last_epoch)`` into ``optimizer.param_groups[i]['lr']``. There is no
recursive update, so the value after a thousand steps is the value of the
formula, and resuming from ``state_dict()`` is exact.

Call order, as in PyTorch::

    for batch in loader:
        optimizer.zero_grad(); loss_fn(model(x), y).backward()
        optimizer.step()
        scheduler.step()          # after the optimizer

Differences from ``torch.optim.lr_scheduler`` (all deliberate):

- Nothing is added to the optimizer's param groups (no ``'initial_lr'``,
  ``'max_lr'``, ...): the base rates live in the scheduler and its
  ``state_dict``, so ``optimizer.load_state_dict`` and
  ``scheduler.load_state_dict`` can run in either order and give the same
  state; ``load_state_dict`` writes the restored rates into the optimizer.
- ``base_lrs`` are the groups' rates when the scheduler is built. A rate
  set by hand between steps is overwritten at the next ``step()``; change
  ``scheduler.base_lrs`` instead.
- Schedulers that PyTorch updates recursively (StepLR, ExponentialLR,
  CosineAnnealingLR, ...) are evaluated in closed form; they agree with
  PyTorch to rounding (~1e-15 relative after hundreds of steps).
"""
import copy
import warnings

from ...amp.grad_scaler import skipped_steps


def check_optimizer(optimizer):
    """Raise ``TypeError`` unless ``optimizer`` has ``param_groups`` with an ``'lr'`` each."""
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list) or not all(isinstance(g, dict) and "lr" in g for g in groups):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer: a scheduler needs "
                        "an object with param_groups, each a dict holding 'lr'")


def per_group(name, value, optimizer):
    """``value`` repeated for every param group, or a list/tuple checked to have one per group."""
    check_optimizer(optimizer)
    count = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(f"{name} must have one value per param group ({count}), "
                             f"got {len(value)}")
        return list(value)
    return [value] * count


class LRScheduler:
    """Base class of learning-rate schedulers (``torch.optim.lr_scheduler.LRScheduler``).

    Args:
        optimizer: the optimizer whose ``param_groups[i]['lr']`` this sets.
        last_epoch: -1 to start; a step count to resume, in which case every
            group must hold its base rate in ``'initial_lr'`` (prefer
            ``load_state_dict``).

    A subclass sets its hyper-parameters, then calls ``super().__init__``,
    and defines ``lr_at(step, base_lrs)`` (and ``momentum_at(step)`` if it
    cycles momentum).
    """

    def __init__(self, optimizer, last_epoch=-1):
        check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        else:
            missing = [i for i, g in enumerate(optimizer.param_groups) if "initial_lr" not in g]
            if missing:
                raise ValueError(
                    f"last_epoch={last_epoch} resumes a schedule, but param groups {missing} "
                    "hold no 'initial_lr' to resume from; build the scheduler with "
                    "last_epoch=-1 and call scheduler.load_state_dict(checkpoint) instead")
            self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._initial_step()

    def _initial_step(self):
        """Set the rates of step 0 (or of the resumed step), as building a scheduler does."""
        self._step_count = 1
        self._advance()
        self._apply()

    # ------------------------------------------------------------- the schedule
    def lr_at(self, step, base_lrs=None):
        """The learning rate of every param group at ``step`` (``base_lrs`` default: ours)."""
        raise NotImplementedError

    def momentum_at(self, step):
        """The momentum (or beta1) of every param group at ``step``; None if not cycled."""
        return None

    def get_lr(self):
        """The rates of the current step, computed (PyTorch name; prefer ``get_last_lr``)."""
        return self.lr_at(self.last_epoch)

    def get_last_lr(self):
        """The rates this scheduler last wrote, one per param group."""
        return list(self._last_lr)

    # ------------------------------------------------------------------ stepping
    def step(self, epoch=None):
        """Advance one step (or jump to ``epoch``) and write the new rates into the optimizer.

        Call it after ``optimizer.step()``. The first call warns when the
        optimizer has not stepped yet, unless a ``GradScaler`` skipped that
        step because of inf/NaN gradients.
        """
        if self._step_count == 1:
            self._warn_if_optimizer_not_stepped()
        self._advance(epoch)
        self._step_count += 1
        self._apply()

    def _advance(self, epoch=None, metrics=None, base_lrs=None):
        """Move the step counter (combinators call this on their children, with the metric
        and the rates they hand down, which only ReduceLROnPlateau uses)."""
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch

    def restart(self):
        """Go back to step 0 (what ``SequentialLR`` does when this scheduler's turn comes)."""
        self._advance(0)

    def _warn_if_optimizer_not_stepped(self):
        # steps_taken counts calls even for optimizers without state (plain SGD); a state
        # loaded from a checkpoint also shows that the optimizer has stepped before.
        stepped = getattr(self.optimizer, "steps_taken", 1) > 0 or any(
            bool(entry) for entry in getattr(self.optimizer, "state", {}).values())
        if not stepped and not skipped_steps(self.optimizer):
            warnings.warn("scheduler.step() was called before optimizer.step(): call "
                          "optimizer.step() first, or the first value of the schedule is "
                          "skipped", UserWarning, stacklevel=3)

    def _check_groups(self):
        groups = len(self.optimizer.param_groups)
        if groups != len(self.base_lrs):
            raise ValueError(
                f"the optimizer has {groups} param groups but {type(self).__name__} holds "
                f"{len(self.base_lrs)} base rates (a param group added after the scheduler was "
                "built, or a state from another optimizer?); build the scheduler again")

    def _position(self):
        """Where on the schedule the scheduler is: ``last_epoch`` (fractional for warm restarts)."""
        return self.last_epoch

    def _apply(self):
        """Write ``lr_at(last_epoch)`` (and any cycled momentum) into the param groups."""
        self._check_groups()
        position = self._position()
        write_values(self.optimizer, self.lr_at(position), self.momentum_at(position))
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    # --------------------------------------------------------------- state dict
    def state_dict(self):
        """The scheduler's state: counters, base rates and hyper-parameters (no optimizer)."""
        state = {key: copy.deepcopy(value) for key, value in self.__dict__.items()
                 if key != "optimizer" and not callable(value)
                 and not (isinstance(value, list) and any(callable(v) for v in value))}
        state["scheduler"] = type(self).__name__
        return state

    def load_state_dict(self, state_dict):
        """Restore ``state_dict()`` and write its rates into the optimizer (either order with
        ``optimizer.load_state_dict`` gives the same state).

        Raises ``ValueError`` for a state of another scheduler or of an
        optimizer with another number of param groups.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "scheduler" not in state_dict:
            looks_like = ("an optimizer's state_dict" if isinstance(state_dict, dict)
                          and "param_groups" in state_dict else type(state_dict).__name__)
            raise ValueError(f"{name}.load_state_dict expects a dict from {name}.state_dict(), "
                             f"got {looks_like}")
        if state_dict["scheduler"] != name:
            raise ValueError(f"{name}.load_state_dict got the state of a "
                             f"{state_dict['scheduler']}")
        saved = len(state_dict.get("base_lrs", self.base_lrs))
        if saved != len(self.optimizer.param_groups):
            raise ValueError(f"the state holds {saved} base rates, the optimizer has "
                             f"{len(self.optimizer.param_groups)} param groups")
        self.__dict__.update({k: copy.deepcopy(v) for k, v in state_dict.items()
                              if k != "scheduler"})
        self._apply()


def write_values(optimizer, lrs, momentums=None):
    """Write ``lrs`` (and momentums into ``'momentum'`` or ``betas[0]``) group by group;
    a momentum of None leaves that group's as it is."""
    for index, group in enumerate(optimizer.param_groups):
        group["lr"] = lrs[index]
        if momentums is not None and momentums[index] is not None:
            if "betas" in group:
                group["betas"] = (momentums[index], *group["betas"][1:])
            else:
                group["momentum"] = momentums[index]
