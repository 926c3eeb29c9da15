"""Saved optimizer state: checking a ``state_dict`` before loading it, and copying its values.

``Optimizer.load_state_dict`` changes nothing until everything here has
passed: the group count and sizes, the hyper-parameter names and ranges,
and, for an optimizer of the zoo, each parameter's state keys and shapes
(the layout ``_init_state`` builds). An optimizer written the PyTorch way
(no ``_init_state``) has no layout to hold the state to, beyond a dict per
parameter.
"""
import copy
import numbers

from .. import backend
from ..autograd import Tensor


def check_state_dict(optimizer, state_dict):
    """Validate ``state_dict`` against ``optimizer``; return its groups and state."""
    name = type(optimizer).__name__
    if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
        raise ValueError(f"{name}.load_state_dict expects a dict with keys 'state' and "
                         "'param_groups' (from Optimizer.state_dict())")
    saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
    if len(saved_groups) != len(optimizer.param_groups):
        raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, "
                         f"{name} has {len(optimizer.param_groups)}")
    group_of = {}
    for number, (group, saved) in enumerate(zip(optimizer.param_groups, saved_groups)):
        # keys the saved group adds (a scheduler's 'initial_lr', ...) come along, as in
        # PyTorch; a key of ours that it lacks means another optimizer or other options
        ours, theirs = set(optimizer.defaults), set(saved) - {"params"}
        if not ours <= theirs:
            raise ValueError(
                f"param group {number} of the loaded state dict has hyper-parameters "
                f"{sorted(theirs)}, {name} needs {sorted(ours)} (a state dict of another "
                "optimizer?)")
        if len(saved["params"]) != len(group["params"]):
            raise ValueError(f"param group {number} of the loaded state dict has "
                             f"{len(saved['params'])} parameters, {name}'s has "
                             f"{len(group['params'])}")
        optimizer._check_hyperparameters(saved)
        for index, param in zip(saved["params"], group["params"]):
            group_of[index] = ({**saved, "params": group["params"]}, param)
    rule_layout = _has_state_layout(optimizer)
    for index, entry in saved_state.items():
        if index not in group_of:
            raise ValueError(f"loaded state dict has state for parameter {index!r}, "
                             "which no param group lists")
        group, param = group_of[index]
        if rule_layout:
            check_state_entry(index, entry, optimizer._init_state(param, group), param, name)
        elif not isinstance(entry, dict):
            raise ValueError(f"state of parameter {index} must be a dict, got "
                             f"{type(entry).__name__}")
    return saved_groups, saved_state


def is_array(value):
    """True for an array or Tensor (anything with a shape that is not a plain number)."""
    return hasattr(value, "shape") and not isinstance(value, numbers.Number)


def copy_value(value, like=None):
    """An independent copy: arrays copied (to ``like``'s dtype and device), the rest deep-copied.

    Tensors (the state of an optimizer written the PyTorch way) stay Tensors."""
    if isinstance(value, Tensor):
        return Tensor(copy_value(value.array, like))
    if is_array(value):
        if like is None:
            return value.copy()
        target = backend.device_of(like)
        if backend.device_of(value) != target:  # GPU state into CPU parameters, or back
            value = backend.asarray(backend.move_to(value, target))
        return value.astype(like.dtype, copy=True)
    return copy.deepcopy(value)


def check_state_entry(index, entry, expected, param, optimizer_name):
    """Raise ``ValueError`` unless ``entry`` has the keys and shapes ``expected`` has."""
    where = f"state of parameter {index}"
    if not isinstance(entry, dict) or set(entry) != set(expected):
        keys = sorted(entry) if isinstance(entry, dict) else entry
        raise ValueError(f"{where} has keys {keys}, {optimizer_name} keeps {sorted(expected)} "
                         "(a state dict of another optimizer or other options?)")
    for key, reference in expected.items():
        value = entry[key]
        if reference is None and value is None:  # a buffer born on the first step (SGD's)
            continue
        if is_array(reference) or reference is None:
            if not is_array(value) or tuple(value.shape) != tuple(param.shape):
                shape = tuple(value.shape) if is_array(value) else type(value).__name__
                raise ValueError(f"{where}: {key!r} has shape {shape}, the parameter has "
                                 f"{tuple(param.shape)}")
        elif not isinstance(value, numbers.Real):
            raise ValueError(f"{where}: {key!r} must be a number, got {type(value).__name__}")




def _has_state_layout(optimizer):
    """True for an optimizer that says what state a parameter starts with (``_init_state``)."""
    from .optimizer import Optimizer
    return type(optimizer)._init_state is not Optimizer._init_state
