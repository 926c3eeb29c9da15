"""Checks ``Optimizer.step`` runs before any update: what reaches a kernel, and non-finite gradients.

1. Hyper-parameters are checked when an optimizer is built, but a training
   loop may set ``group["lr"] = None`` later; a compiled kernel would read
   None as NaN and silently ruin the weights. So each step checks, per
   group, that every hyper-parameter whose default is a number is still a
   real number (tuples such as ``betas`` element by element), and names the
   group, the key and the value when not.
2. ``optimizer.nonfinite`` chooses what a step does with an inf/NaN
   gradient: ``"ignore"`` (PyTorch's behaviour, the default: the update runs
   and the weights become inf/NaN), ``"raise"`` (a ``FloatingPointError``
   naming the parameter and the step, before anything changes) or
   ``"skip"`` (no parameter or state changes this step; counted in
   ``optimizer.skipped_steps``). The check is one pass over each gradient,
   and costs nothing with "ignore".
"""
import numbers

from .. import backend

NONFINITE_MODES = ("ignore", "raise", "skip")


def check_numeric_hyperparameters(optimizer):
    """Raise ``TypeError`` if a hyper-parameter that should be a number is not one."""
    for number, group in enumerate(optimizer.param_groups):
        for key, default in optimizer.defaults.items():
            value = group.get(key)
            if _is_real(default) and not _is_real(value):
                raise TypeError(f"param group {number}: {key!r} must be a real number, got "
                                f"{value!r}")
            if isinstance(default, tuple) and default and all(map(_is_real, default)) and not (
                    isinstance(value, (tuple, list)) and all(map(_is_real, value))):
                raise TypeError(f"param group {number}: {key!r} must be a tuple of real "
                                f"numbers, got {value!r}")


def nonfinite_gradient(optimizer):
    """``(group number, parameter position)`` of the first gradient holding inf/NaN, or None."""
    xp = backend.xp
    for number, group in enumerate(optimizer.param_groups):
        for position, param in enumerate(group["params"]):
            grad = param._grad
            if grad is not None and not bool(xp.isfinite(grad.array).all()):
                return number, position
    return None


def check_nonfinite_mode(mode):
    if mode not in NONFINITE_MODES:
        raise ValueError(f"nonfinite must be one of {NONFINITE_MODES}, got {mode!r}")
    return mode


def _is_real(value):
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, numbers.Real):
        return True
    # a 0-d tensor learning rate (PyTorch allows one) counts as a number
    return getattr(value, "ndim", None) == 0 and hasattr(value, "item") and \
        backend.is_float(getattr(value, "dtype", "int64"))
