"""Executors that run optimizer update rules: numpy (the reference) for now.

An update rule is a plain elementwise function written once beside its
optimizer (see ``elementwise_math`` for what a rule may call). An executor
takes the rule plus, for each parameter, its arrays and per-step scalars,
and writes the new values back in place. ``get_executor`` picks one by name.
"""
from . import elementwise_math
from .numpy_executor import NumpyExecutor

_EXECUTORS = {"numpy": NumpyExecutor}


def get_executor(name="numpy"):
    """A new executor by name; ``"numpy"`` is the reference and the default."""
    if name not in _EXECUTORS:
        raise ValueError(f"executor must be one of {sorted(_EXECUTORS)}, got {name!r}")
    return _EXECUTORS[name]()


__all__ = ["NumpyExecutor", "get_executor", "elementwise_math"]
