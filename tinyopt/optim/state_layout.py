"""Loading state that is not shaped like its parameter (Adafactor's factors, 8-bit codes).

``Optimizer.load_state_dict`` checks that every state array has its
parameter's shape and casts it to the parameter's dtype: right for Adam's
moments, wrong for Adafactor's row and column averages (shapes ``(n,)`` and
``(m,)`` for an ``n x m`` weight) and for 8-bit codes (``uint8``, which a
cast to float would destroy). ``OwnStateLayout`` replaces that one check:
the layout a state entry must have is the one ``_init_state`` builds for
that parameter with the saved group's hyper-parameters — same keys, same
shapes, and for each array the same dtype (floating-point arrays may come
in another float dtype and are cast, as the base class does).

Everything else (group count and sizes, hyper-parameter names and ranges)
is still checked by the base class, and a failed load changes nothing.
"""
import numbers
from collections import defaultdict

from .. import backend


class OwnStateLayout:
    """Mixin (put it before ``Optimizer``) for state laid out by ``_init_state``, not by the param."""

    def load_state_dict(self, state_dict):
        """Restore a ``state_dict()``; raises ``ValueError`` (changing nothing) for a bad one."""
        saved_state = state_dict.get("state") if isinstance(state_dict, dict) else None
        if not isinstance(saved_state, dict):
            return super().load_state_dict(state_dict)  # the base class names the problem
        groups_before, state_before = self.param_groups, self.state
        # The base class checks and loads groups and hyper-parameters; the state is ours.
        super().load_state_dict({**state_dict, "state": {}})
        try:
            self.state = self._state_from_saved(saved_state, state_dict["param_groups"])
        except ValueError:
            self.param_groups, self.state = groups_before, state_before
            raise
        return None

    def _state_from_saved(self, saved_state, saved_groups):
        place = {}
        for group, saved in zip(self.param_groups, saved_groups):
            for index, param in zip(saved["params"], group["params"]):
                place[index] = (param, group)
        state = defaultdict(dict)
        for index, entry in saved_state.items():
            if index not in place:
                raise ValueError(f"loaded state dict has state for parameter {index!r}, "
                                 "which no param group lists")
            param, group = place[index]
            expected = self._init_state(param, group)
            state[param] = _checked_copy(index, entry, expected, type(self).__name__)
        return state


def _checked_copy(index, entry, expected, optimizer_name):
    where = f"state of parameter {index}"
    if not isinstance(entry, dict) or set(entry) != set(expected):
        keys = sorted(entry) if isinstance(entry, dict) else entry
        raise ValueError(f"{where} has keys {keys}, {optimizer_name} keeps {sorted(expected)} "
                         "(a state dict of another optimizer or other options?)")
    copied = {}
    for key, reference in expected.items():
        value = entry[key]
        if reference is None or isinstance(reference, numbers.Number):
            if reference is None and value is None:
                copied[key] = None
                continue
            if not isinstance(value, numbers.Real):
                raise ValueError(f"{where}: {key!r} must be a number, got {type(value).__name__}")
            copied[key] = value
            continue
        if not hasattr(value, "shape") or tuple(value.shape) != tuple(reference.shape):
            shape = tuple(value.shape) if hasattr(value, "shape") else type(value).__name__
            raise ValueError(f"{where}: {key!r} has shape {shape}, {optimizer_name} expects "
                             f"{tuple(reference.shape)}")
        same_kind = (backend.is_float(value.dtype) and backend.is_float(reference.dtype)) or \
            value.dtype == reference.dtype
        if not same_kind:
            raise ValueError(f"{where}: {key!r} has dtype {value.dtype}, {optimizer_name} "
                             f"expects {reference.dtype}")
        copied[key] = backend.xp.array(value, dtype=reference.dtype, copy=True)
    return copied
