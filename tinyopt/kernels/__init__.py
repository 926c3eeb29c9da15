"""Executors that run optimizer update rules: numpy (the reference) and numba (fused loops).

An update rule is a plain elementwise function written once beside its
optimizer (see ``elementwise_math`` for what a rule may call). An executor
takes the rule plus, for each parameter, its arrays and per-step scalars,
and writes the new values back in place::

    executor.run(rule, [([param, grad, *state], scalars), ...])

An executor that also has ``run_flat`` (numba) can update a whole parameter
group packed into flat buffers in one call; the optimizer uses it when present.
The cupy executor has both and generates one GPU kernel per rule from the
rule's source (``cupy_executor``; its CPU twin, ``CupyExecutor(emulate=True)``,
is what CI tests it with).

Which executor an optimizer uses:

- ``optimizer.executor = "numpy"`` (or an executor object) for one optimizer;
- ``TINYOPT_EXECUTOR=numpy`` in the environment for every new optimizer;
- otherwise ``default_executor_name()``: cupy when the backend is CuPy, numba on
  the CPU when it is installed, else numpy.

Debugging a compiled rule: ``NUMBA_DISABLE_JIT=1`` runs the numba executor's
loop as plain Python, or pick the numpy executor and step through the rule.
"""
import importlib.util
import os

from . import elementwise_math
from .cupy_executor import CupyExecutor
from .numba_executor import NumbaExecutor
from .numpy_executor import NumpyExecutor

_EXECUTORS = {"numpy": NumpyExecutor, "numba": NumbaExecutor, "cupy": CupyExecutor}


def get_executor(name="numpy"):
    """A new executor by name: ``"numpy"`` (the reference), ``"numba"`` or ``"cupy"`` (a GPU)."""
    if name not in _EXECUTORS:
        raise ValueError(f"executor must be one of {sorted(_EXECUTORS)}, got {name!r}")
    return _EXECUTORS[name]()


def default_executor_name():
    """The executor new optimizers get: ``$TINYOPT_EXECUTOR``, else cupy on CuPy, else numba if
    installed.

    Raises ``ValueError`` when ``TINYOPT_EXECUTOR`` names no executor.
    """
    from .. import backend
    chosen = os.environ.get("TINYOPT_EXECUTOR")
    if chosen:
        if chosen not in _EXECUTORS:
            raise ValueError(f"TINYOPT_EXECUTOR must be one of {sorted(_EXECUTORS)}, "
                             f"got {chosen!r}")
        return chosen
    if backend.xp.__name__ in ("cupy", "tinyopt.strict"):  # strict: the kernels' CPU twins
        return "cupy"
    on_cpu = backend.xp.__name__ == "numpy"
    return "numba" if on_cpu and importlib.util.find_spec("numba") else "numpy"


__all__ = ["NumpyExecutor", "NumbaExecutor", "CupyExecutor", "get_executor",
           "default_executor_name", "elementwise_math"]
