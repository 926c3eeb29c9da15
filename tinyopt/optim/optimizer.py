"""``Optimizer``: what every optimizer shares — parameter groups, state, step, state_dict.

An optimizer holds ``param_groups`` (a list of dicts: ``'params'`` plus that
group's hyper-parameters, filled from ``defaults``) and ``state`` (a dict
keyed by Parameter holding its moment buffers and step count), as in
``torch.optim``. A subclass says three things:

- ``_check_hyperparameters(group)``: raise for values outside their range;
- ``_init_state(param, group)``: the state a parameter starts with;
- ``_prepare_update(param, group, state)``: each step, which elementwise rule to
  run, with which state arrays and which per-step scalars (bias
  corrections, decayed learning rates, computed here in plain Python).

``step`` gathers every parameter that has a gradient and hands the rule to
an executor from ``tinyopt.kernels``, which writes the new values in place.
With an executor that has ``run_flat`` (numba, the CPU default) each group
is packed into flat buffers (``flat_buffers.FlatGroup``) and updated in one
call; ``optimizer.executor = "numpy"`` (or ``TINYOPT_EXECUTOR=numpy``)
selects the readable reference instead.

Example::

    >>> opt = tinyopt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> loss = loss_fn(model(x), y)
    >>> opt.zero_grad(); loss.backward(); opt.step()
"""
import copy
import functools
from collections import defaultdict

from .. import backend
from ..autograd import Tensor, enable_grad
from ..kernels import default_executor_name, get_executor
from . import saved_state, state_memory, step_guards
from .flat_buffers import NOT_IN_STATE, FlatGroup, Update
from .hyperparameters import plain_numbers

_SET_MESSAGE = ("params must be an ordered collection (list, tuple, generator), not a set: "
                "their order decides the indices in state_dict()")


class Optimizer:
    """Base class of all optimizers (PyTorch's names and semantics).

    Args:
        params: an iterable of Parameters, or of dicts each holding
            ``'params'`` and hyper-parameters that override ``defaults`` for
            that group.
        defaults: the hyper-parameters every group starts from.

    Attributes:
        defaults, param_groups, state: as in ``torch.optim.Optimizer``.
        executor: runs the update rules; assign an executor or its name
            (``"numpy"``, ``"numba"``). Defaults to
            ``kernels.default_executor_name()``.
    """

    _step_depth = 0

    _counters_decide_updates = True
    """``_prepare_update``'s scalars and state changes depend only on the group and the
    state's numbers (step counts, ...), not on the arrays: so when all parameters of a
    group have equal numbers, ``step`` prepares one and copies the new numbers to the
    others (a thousand small tensors then cost no Python loop through
    ``_prepare_update``). A subclass whose scalars come from array values (trust
    ratios) sets this to False."""

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Parameters or of dicts, "
                            f"got a single {type(params).__name__}")
        if isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        self._check_hyperparameters(defaults)
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        self._flat_groups = {}
        self.steps_taken = 0
        """Calls of ``step`` since construction (not saved in ``state_dict``)."""
        self.skipped_steps = 0
        """Steps skipped for a non-finite gradient (``nonfinite="skip"``)."""
        self.executor = default_executor_name()
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------ subclasses
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:  # a step written the PyTorch way still counts its calls
            cls.step = _counted(cls.__dict__["step"])

    def _check_hyperparameters(self, group):
        """Raise ``ValueError``/``TypeError`` naming any hyper-parameter out of range.

        The zoo checks every argument; a subclass written the PyTorch way
        (only ``__init__`` and ``step``) need not override this."""

    def _init_state(self, param, group):
        """The state a parameter starts with: a dict of arrays and Python numbers."""
        raise NotImplementedError

    def _prepare_update(self, param, group, state):
        """Advance ``state``'s counters and return ``(rule, state_arrays, scalars)``.

        ``state_arrays`` follow ``param`` and its gradient as the rule's
        arguments (``None`` for an optional buffer not kept); ``scalars``
        follow them. Each state array must be an entry of ``state`` (flat
        buffers find it there).
        """
        raise NotImplementedError

    @property
    def executor(self):
        """The executor running the update rules (``kernels.NumpyExecutor``, ...)."""
        return self._executor

    @executor.setter
    def executor(self, executor):
        self._executor = get_executor(executor) if isinstance(executor, str) else executor

    # ---------------------------------------------------------------- groups
    def add_param_group(self, param_group):
        """Add a group of parameters with its own hyper-parameters (e.g. a new layer to fine-tune).

        Missing hyper-parameters come from ``defaults``. Raises ``ValueError``
        for a parameter listed twice or already in another group, and for
        hyper-parameters out of range; nothing is added then.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        params = list(params)
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter appears twice in one param group; "
                             "list each parameter once")
        in_other_groups = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in in_other_groups for p in params):
            raise ValueError("some parameters appear in more than one param group")
        group = {**self.defaults, **param_group, "params": params}
        self._check_hyperparameters(group)
        self.param_groups.append(group)

    # ------------------------------------------------------------------ step
    def zero_grad(self, set_to_none=True):
        """Reset every parameter's gradient: to ``None`` (default) or to zeros in place."""
        for group in self.param_groups:
            for param in group["params"]:
                if set_to_none:
                    param.grad = None
                elif param.grad is not None:
                    param.grad.array[...] = 0

    def step(self, closure=None):  # wrapped by _counted below the class
        """Update every parameter that has a gradient; return ``closure()``'s loss, if given.

        ``closure`` re-evaluates the model and returns the loss (it runs with
        gradient recording on, so it may call ``backward``). Each call counts
        in ``steps_taken``, which schedulers read to warn when they are
        stepped first.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        step_guards.check_numeric_hyperparameters(self)
        if self.nonfinite != "ignore":
            found = step_guards.nonfinite_gradient(self)
            if found is not None:
                if self.nonfinite == "raise":
                    group, position = found
                    raise FloatingPointError(
                        f"step {self.steps_taken + 1}: the gradient of parameter {position} of "
                        f"param group {group} holds inf or NaN (nonfinite='raise'); nothing "
                        "was updated")
                self.skipped_steps += 1
                return loss
        self._update_parameters()
        self._count_writes()
        return loss

    @property
    def nonfinite(self):
        """What ``step`` does with an inf/NaN gradient: "ignore" (default), "raise" or "skip"."""
        return self.__dict__.get("_nonfinite", "ignore")

    @nonfinite.setter
    def nonfinite(self, mode):
        self._nonfinite = step_guards.check_nonfinite_mode(mode)

    def _count_writes(self):
        """Bump the version counter of every parameter the step wrote, as ``p.add_`` would.

        A graph built before this step and used for ``backward`` after it
        then raises, instead of silently mixing old and new weights."""
        for number, group in enumerate(self.param_groups):
            flat = self._flat_groups.get(number)
            if flat is not None and flat.holds(group["params"]):
                flat.count_writes()
                continue
            for param in group["params"]:
                if param._grad is not None:
                    param._version_box[0] += 1

    def _update_parameters(self):
        """One update of every parameter with a gradient: each group's rule through the executor.

        A subclass whose step is not one elementwise rule (LAMB's trust
        ratio, Adafactor's factored moments) overrides this, not ``step``.
        """
        for number, group in enumerate(self.param_groups):
            flat = self._flat_group(number, group)
            if flat is not None:
                indices = flat.with_grad
            else:
                indices = [i for i, p in enumerate(group["params"]) if p._grad is not None]
            if not indices:
                continue
            updates = self._prepare_updates(group, indices)
            if flat is not None:
                flat.run(self.executor, updates)
                continue
            updates_by_rule = {}
            for update in updates:
                for number_in_update, index in enumerate(update.indices):
                    param = group["params"][index]
                    arrays = [param.array, param._grad.array,
                              *update.state_arrays(number_in_update)]
                    updates_by_rule.setdefault(update.rule, []).append((arrays, update.scalars))
            for rule, rule_updates in updates_by_rule.items():
                self.executor.run(rule, rule_updates)

    def _flat_group(self, number, group):
        """Group ``number`` packed into flat buffers, if the executor takes them (else None)."""
        params = group["params"]
        flat = self._flat_groups.get(number)
        if hasattr(self.executor, "run_flat"):
            if flat is not None and flat.holds(params) and flat.adopt_rebound_arrays():
                return flat
            if FlatGroup.can_pack(params):
                self._flat_groups[number] = FlatGroup(params)
                return self._flat_groups[number]
        self._flat_groups.pop(number, None)
        return None

    def _prepare_updates(self, group, indices):
        """The ``flat_buffers.Update`` list for the parameters at ``indices`` of ``group``.

        Initialises missing state. When the state numbers of all these
        parameters agree (see ``_counters_decide_updates``),
        ``_prepare_update`` runs once, its new numbers are copied to the
        other states, and one ``Update`` covers them all; otherwise each
        parameter gets its own.
        """
        group = plain_numbers(group)  # a 0-d Tensor lr reaches the rules as a number
        params = group["params"]
        if len(indices) < len(params):
            params = [params[i] for i in indices]
        states = list(map(self.state.__getitem__, params))
        if not all(states):
            for param, state in zip(params, states):
                if not state:
                    state.update(self._init_state(param, group))
        counter_keys = [k for k, v in states[0].items() if not saved_state.is_array(v)]
        if self._counters_decide_updates and len(params) > 1 and _states_agree(states):
            rule, arrays, scalars = self._prepare_update(params[0], group, states[0])
            counters = {k: states[0][k] for k in counter_keys}
            keys = _state_keys(states[0], arrays)
            born = any(map(saved_state.is_array, counters.values()))  # SGD's first buffer
            if not born and NOT_IN_STATE not in keys:
                for key, value in counters.items():
                    for state in states:
                        state[key] = value
                return [Update(indices, states, rule, keys, scalars)]
            prepared = [(rule, arrays, scalars)]
            prepared += [self._prepare_update(p, group, s) for p, s in zip(params[1:], states[1:])]
        else:
            prepared = [self._prepare_update(p, group, s) for p, s in zip(params, states)]
        return [Update((index,), [state], rule, _state_keys(state, arrays), scalars, arrays)
                for index, state, (rule, arrays, scalars) in zip(indices, states, prepared)]

    # ------------------------------------------------------------ state dict
    def state_bytes(self):
        """Bytes of optimizer state held in arrays (see ``state_memory``), exactly.

        Python numbers kept beside the arrays (step counts, ...) count 0.
        State appears on the first ``step``: before it, every optimizer
        reports 0.
        """
        return state_memory.state_bytes(self)

    def state_dict(self):
        """A deep copy of state and hyper-parameters in PyTorch's layout.

        ``{'state': {index: {name: value}}, 'param_groups': [{..., 'params':
        [index, ...]}]}``, parameters numbered in group order.
        """
        index_of, groups = {}, []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index_of.setdefault(id(p), len(index_of)) for p in group["params"]]
            groups.append(packed)
        state = {index_of[id(param)]: {k: saved_state.copy_value(v)
                                       for k, v in entry.items()}
                 for param, entry in self.state.items() if entry and id(param) in index_of}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore state and hyper-parameters saved by ``state_dict`` (copies; exact).

        Everything is checked before anything changes: a state_dict from
        another optimizer, with another number of groups or group sizes, or
        with state arrays of the wrong shape raises ``ValueError`` naming the
        problem and leaves this optimizer as it was.
        """
        saved_groups, saved_entries = self._check_state_dict(state_dict)
        param_of = {}
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            param_of.update(zip(saved["params"], group["params"]))
            new_group = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            new_group["params"] = group["params"]
            new_groups.append(new_group)
        new_state = defaultdict(dict)
        for index, entry in saved_entries.items():
            param = param_of[index]
            new_state[param] = {k: saved_state.copy_value(v, like=param.array)
                                for k, v in entry.items()}
        self.param_groups = new_groups
        self.state = new_state

    def _check_state_dict(self, state_dict):
        """Validate ``state_dict`` against this optimizer; return its groups and state."""
        return saved_state.check_state_dict(self, state_dict)

    def __getstate__(self):
        # Flat buffers hold views of the parameters' arrays; a copy (deepcopy, pickle) has
        # new arrays, so it must pack its own on its first step, not reuse these.
        state = dict(self.__dict__)
        state["_flat_groups"] = {}
        return state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


def _counted(step):
    """``step`` that adds one to ``steps_taken`` per outermost call (schedulers read it)."""
    @functools.wraps(step)
    def counted_step(self, *args, **kwargs):
        if self._step_depth:  # a subclass's step calling super().step(): count once
            return step(self, *args, **kwargs)
        self._step_depth = 1
        try:
            result = step(self, *args, **kwargs)
        finally:
            self._step_depth = 0
        self.steps_taken += 1
        return result
    return counted_step


def _states_agree(states):
    """True when all ``states`` hold equal numbers, and arrays under the same keys.

    One comprehension per key, and ``list.count`` (a loop in C): checking a
    thousand states costs tens of microseconds per key.
    """
    first = states[0]
    if set(map(len, states)) != {len(first)}:
        return False
    for key, value in first.items():
        try:
            values = [state[key] for state in states]
        except KeyError:
            return False
        if {type(v) for v in values} != {type(value)}:
            return False
        if not saved_state.is_array(value) and values.count(value) != len(values):
            return False
    return True


def _state_keys(state, arrays):
    """The key of each array in ``state`` (None for None, ``NOT_IN_STATE`` if not in it)."""
    key_of = {id(value): key for key, value in state.items()}
    return tuple(None if array is None else key_of.get(id(array), NOT_IN_STATE)
                 for array in arrays)


Optimizer.step = _counted(Optimizer.step)
