"""``LRScheduler``: what every scheduler shares, as ``torch.optim.lr_scheduler.LRScheduler`` does it.

A scheduler owns a step counter ``last_epoch`` and sets
``optimizer.param_groups[i]['lr']``. Building it records each group's rate
in ``group['initial_lr']`` (unless an earlier scheduler did) and takes those
as ``base_lrs``; then it makes its first step (``last_epoch`` -1 -> 0).

``step()`` advances ``last_epoch`` and writes ``get_lr()``. Most ``get_lr``
are *chainable*, PyTorch's recursive form: they move the rate the group
holds now (``lr ← lr · γ``), so two schedulers stepped side by side multiply
their effects and a rate set by hand is kept. ``step(epoch)`` (deprecated,
as in PyTorch) jumps to ``epoch`` and uses ``_get_closed_form_lr()`` where
the scheduler has one. Every built-in scheduler also has ``lr_at(step)``,
its closed form, for plotting a schedule without stepping it.

Two ways to write a scheduler, both work:

- PyTorch's: override ``get_lr()`` (and optionally ``_get_closed_form_lr()``);
- tinyopt's: define ``lr_at(step, base_lrs=None)``; ``get_lr`` then returns
  ``lr_at(last_epoch)`` (an absolute, non-chainable schedule).

Call order, as in PyTorch::

    optimizer.step()
    scheduler.step()          # after the optimizer
"""
import copy
import warnings

from ...autograd import Tensor
from ...amp.grad_scaler import skipped_steps

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose.")
STEP_REPLACED_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    "`lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")
CALL_ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")
GET_LR_WARNING = ("To get the last learning rate computed by the scheduler, "
                  "please use `get_last_lr()`.")

_NOT_STATE = ("optimizer", "_optimizer_step")


# ------------------------------------------------------- values in param groups
def to_scalar(value):
    """A Python number for a number or a 0-d Tensor (a learning rate may be either)."""
    return value.item() if isinstance(value, Tensor) else value


def _copy(value):
    return Tensor(value.array.copy()) if isinstance(value, Tensor) else value


def group_values(optimizer, key):
    """``[group[key] for group in param_groups]``, Tensors copied so nothing aliases them."""
    return [_copy(group[key]) for group in optimizer.param_groups]


def set_group_value(group, key, value):
    """``group[key] = value``; a Tensor there is filled in place, so it stays the same Tensor."""
    if isinstance(group[key], Tensor):
        group[key].array[...] = to_scalar(value)
    else:
        group[key] = value


def check_optimizer(optimizer):
    """Raise ``TypeError`` unless ``optimizer`` has ``param_groups`` with an ``'lr'`` each."""
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list) or not all(isinstance(g, dict) and "lr" in g for g in groups):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer: a scheduler needs "
                        "an object with param_groups, each a dict holding 'lr'")


def per_group(name, value, optimizer):
    """``value`` repeated for every param group, or a list/tuple checked to have one per group
    (Tensors copied, as PyTorch's ``_format_param`` does)."""
    check_optimizer(optimizer)
    count = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                             f"{name} has {len(value)} values, param_groups has {count}.")
        return [_copy(v) for v in value]
    return [_copy(value) for _ in range(count)]


def check_last_epoch(last_epoch):
    """Raise ``TypeError`` unless ``last_epoch`` is an int >= -1."""
    if isinstance(last_epoch, bool) or not isinstance(last_epoch, int) or last_epoch < -1:
        raise TypeError(f"last_epoch must be an int >= -1, got {last_epoch!r}")


class LRScheduler:
    """Base class of learning-rate schedulers (``torch.optim.lr_scheduler.LRScheduler``).

    Args:
        optimizer: the optimizer whose ``param_groups[i]['lr']`` this sets.
        last_epoch: -1 to start; a step count to resume, in which case every
            group must hold ``'initial_lr'`` (restore the optimizer first).
    """

    _get_lr_called_within_step = False
    _is_initial = False
    chainable = False
    """True where ``get_lr`` moves the group's current rate (composes with other schedulers)."""

    def __init__(self, optimizer, last_epoch=-1):
        check_optimizer(optimizer)
        check_last_epoch(last_epoch)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", _copy(group["lr"]))
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        "resuming scheduler with last_epoch >= 0.\nThis typically happens "
                        "when:\n1. You're trying to resume training from a checkpoint but "
                        "haven't properly loaded the optimizer state\n2. You're using "
                        "last_epoch >= 0 for a fresh training run (not recommended)")
        self.base_lrs = group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        self._optimizer_step = getattr(optimizer, "step", None)  # to notice a replaced step
        self._initial_step()

    def _initial_step(self):
        """Reset the step count and make the first step (``last_epoch`` -1 -> 0)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    # ------------------------------------------------------------- the schedule
    def get_lr(self):
        """The rates of the step ``last_epoch`` just reached (called by ``step``; to read the
        rates use ``get_last_lr``). Default: ``lr_at(last_epoch)``."""
        self._warn_if_get_lr_called_outside_step()
        if type(self).lr_at is LRScheduler.lr_at:
            raise NotImplementedError(f"{type(self).__name__} defines neither get_lr() "
                                      "(PyTorch's way) nor lr_at(step) (tinyopt's)")
        return self.lr_at(self.last_epoch)

    def lr_at(self, step, base_lrs=None):
        """The closed form: every group's rate at ``step`` from ``base_lrs`` (default: ours).

        A subclass written PyTorch's way with ``_get_closed_form_lr`` gets it from there.
        """
        if not hasattr(self, "_get_closed_form_lr"):
            raise NotImplementedError(f"{type(self).__name__} has no closed form: define "
                                      "lr_at(step, base_lrs=None) or _get_closed_form_lr()")
        saved = self.last_epoch, self.base_lrs
        self.last_epoch, self.base_lrs = step, self.base_lrs if base_lrs is None else base_lrs
        try:
            return list(self._get_closed_form_lr())
        finally:
            self.last_epoch, self.base_lrs = saved

    def get_last_lr(self):
        """The rates this scheduler last wrote, one per param group."""
        return self._last_lr

    def _warn_if_get_lr_called_outside_step(self):
        if not self._get_lr_called_within_step:
            warnings.warn(GET_LR_WARNING, UserWarning, stacklevel=3)

    # ------------------------------------------------------------------ stepping
    def step(self, epoch=None):
        """Advance one step (``epoch``: deprecated, jump there) and write the new rates.

        Call it after ``optimizer.step()``. A step that raises changes nothing.
        """
        if self._step_count == 1:
            self._warn_about_call_order()
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        saved = self.last_epoch, self._step_count
        self._step_count += 1
        try:
            self._update_lr(epoch)
        except BaseException:
            self.last_epoch, self._step_count = saved
            raise

    def _update_lr(self, epoch=None):
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                values = (self._get_closed_form_lr() if hasattr(self, "_get_closed_form_lr")
                          else self.get_lr())
        finally:
            self._get_lr_called_within_step = False
        self._write_lrs(values)

    def _write_lrs(self, values):
        values, groups = list(values), self.optimizer.param_groups
        if len(values) != len(groups):
            raise ValueError(f"{type(self).__name__} computed {len(values)} rates for "
                             f"{len(groups)} param groups (a param group added after the "
                             "scheduler was built?)")
        for group, lr in zip(groups, values):
            set_group_value(group, "lr", lr)
        self._last_lr = group_values(self.optimizer, "lr")

    def _warn_about_call_order(self):
        step = getattr(self.optimizer, "step", None)
        if self._optimizer_step is not None and step != self._optimizer_step:
            warnings.warn(STEP_REPLACED_WARNING, UserWarning, stacklevel=3)
            return
        # steps_taken counts calls even for optimizers without state (plain SGD); a state
        # loaded from a checkpoint also shows that the optimizer has stepped before.
        stepped = getattr(self.optimizer, "steps_taken", 1) > 0 or any(
            bool(entry) for entry in getattr(self.optimizer, "state", {}).values())
        if not stepped and not skipped_steps(self.optimizer):
            warnings.warn(CALL_ORDER_WARNING, UserWarning, stacklevel=3)

    # --------------------------------------------------------------- state dict
    def state_dict(self):
        """Every attribute but the optimizer (PyTorch's layout), copied."""
        return {key: copy.deepcopy(value) for key, value in self.__dict__.items()
                if key not in _NOT_STATE}

    def load_state_dict(self, state_dict):
        """Restore ``state_dict()`` and write its last rates into the optimizer.

        Everything is checked first: a state of another scheduler (other keys),
        a ``last_epoch`` that is not an int, or per-group lists of another
        length raise ``ValueError``/``TypeError`` and change nothing.
        """
        self._check_state_dict(state_dict)
        self._load_checked(state_dict)

    def _check_state_dict(self, state_dict):
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise ValueError(f"{name}.load_state_dict expects a dict from {name}.state_dict(), "
                             f"got {type(state_dict).__name__}")
        ours = self.state_dict()
        if set(state_dict) != set(ours):
            hint = (" (an optimizer's state_dict?)" if "param_groups" in state_dict
                    else " (the state of another scheduler?)")
            raise ValueError(f"{name}.load_state_dict got a state whose keys differ from "
                             f"{name}.state_dict()'s: missing {sorted(set(ours) - set(state_dict))}"
                             f", unexpected {sorted(set(state_dict) - set(ours))}{hint}")
        for key in ("last_epoch", "_step_count"):
            value = state_dict.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name}.load_state_dict: {key} must be an int, got {value!r}")
        groups = len(self.optimizer.param_groups)
        for key, value in ours.items():
            if isinstance(value, list) and len(value) == groups and key != "_schedulers":
                saved = state_dict[key]
                if not isinstance(saved, (list, tuple)) or len(saved) != groups:
                    count = len(saved) if isinstance(saved, (list, tuple)) else saved
                    raise ValueError(f"{name}.load_state_dict: {key} holds {count!r} values, "
                                     f"the optimizer has {groups} param groups")

    def _load_checked(self, state_dict):
        """Apply a state ``_check_state_dict`` accepted."""
        self.__dict__.update({k: copy.deepcopy(v) for k, v in state_dict.items()})
        self._restore_rates()

    def _restore_rates(self):
        """Write ``get_last_lr()`` into the optimizer (so the loads can run in either order)."""
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            set_group_value(group, "lr", _copy(lr))
