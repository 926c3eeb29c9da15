r"""Gradient clipping and gradient norms (``torch.nn.utils.clip_grad_norm_`` and friends).

Norm clipping rescales all gradients together when their joint p-norm
exceeds ``max_norm``, keeping the update's direction:

    N = ‖(‖g_1‖_p, ‖g_2‖_p, ...)‖_p          (= max |g| for p = inf)
    g ← g · min(1, max_norm / (N + 1e-6))

Value clipping clamps every gradient entry to [-clip_value, clip_value]
independently, which changes the direction. The 1e-6 and the "norm of the
per-parameter norms" order of summation are PyTorch's; the norms are
computed in the gradients' dtype, so float32 gradients match PyTorch's
float32 results and float64 ones match exactly.

Example::

    >>> loss.backward()
    >>> norm = clip_grad_norm_(model.parameters(), max_norm=1.0)   # norm before clipping
    >>> optimizer.step()
"""
import contextlib
import math

from ... import backend
from ...autograd import Tensor


def _as_list(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _norm_type(norm_type):
    norm_type = float(norm_type)
    if not (norm_type > 0):
        raise ValueError(f"norm_type must be > 0 or inf, got {norm_type}")
    return norm_type


def get_total_norm(arrays, norm_type=2.0, error_if_nonfinite=False):
    """The p-norm of the per-array p-norms of ``arrays`` (backend arrays), as a float.

    Raises ``RuntimeError`` for a non-finite total when ``error_if_nonfinite``.
    """
    xp, norm_type = backend.xp, _norm_type(norm_type)
    arrays = list(arrays)
    if not arrays:
        return 0.0
    if norm_type == math.inf:
        norms = xp.stack([xp.abs(a).max() if a.size else xp.zeros((), a.dtype) for a in arrays])
        total = norms.max()
    else:
        norms = xp.stack([xp.linalg.vector_norm(a.ravel(), ord=norm_type) for a in arrays])
        total = xp.linalg.vector_norm(norms, ord=norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is non-finite ({float(total)})"
            ", so it cannot be clipped; set error_if_nonfinite=False to scale by it anyway")
    return total


def grad_norm(parameters, norm_type=2.0):
    """The total ``norm_type``-norm of the gradients of ``parameters`` (those that have one)."""
    grads = [p.grad.array for p in _as_list(parameters) if p.grad is not None]
    return float(backend.to_host(get_total_norm(grads, norm_type)))  # a host read (GPU: a sync)


def clip_grads_with_norm_(parameters, max_norm, total_norm):
    """Scale the gradients in place by ``min(1, max_norm / (total_norm + 1e-6))``."""
    grads = [p.grad.array for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    coefficient = max_norm / (total_norm + 1e-6)
    coefficient = min(coefficient, 1.0) if not hasattr(coefficient, "dtype") \
        else backend.xp.minimum(coefficient, coefficient.dtype.type(1.0))
    # an inf/NaN norm turns the gradients into NaN, as in PyTorch, without NumPy's warning
    errstate = getattr(backend.xp, "errstate", None)
    with errstate(invalid="ignore") if errstate else contextlib.nullcontext():
        for grad in grads:
            grad *= backend.xp.asarray(coefficient).astype(grad.dtype)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Rescale the gradients so that their total norm is at most ``max_norm``; in place.

    Args:
        parameters: Parameters (or one) whose ``.grad`` to clip.
        max_norm: the largest total norm allowed, > 0.
        norm_type: p of the p-norm, > 0, or ``float('inf')`` / ``'inf'``.
        error_if_nonfinite: raise ``RuntimeError`` if the total norm is inf/NaN
            (otherwise the gradients are scaled by it and become NaN).
        foreach: accepted for PyTorch compatibility; unused.

    Returns:
        The total norm of the gradients before clipping, as a float.
    """
    if not float(max_norm) > 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    parameters = _as_list(parameters)
    grads = [p.grad.array for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if grads:
        dtype = backend.xp.result_type(*grads)
        clip_grads_with_norm_(parameters, dtype.type(max_norm), backend.xp.asarray(total, dtype))
    return float(backend.to_host(total))  # a host read (PyTorch returns a tensor: no GPU sync)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry to ``[-clip_value, clip_value]`` in place (``clip_value`` > 0)."""
    if not float(clip_value) > 0:
        raise ValueError(f"clip_value must be > 0, got {clip_value}")
    for param in _as_list(parameters):
        if param.grad is not None:
            backend.xp.clip(param.grad.array, -clip_value, clip_value, out=param.grad.array)


def weight_norm(parameters, norm_type=2.0):
    """The total ``norm_type``-norm of the parameters' values (what ``fit`` records per step)."""
    return float(backend.to_host(get_total_norm([p.array for p in _as_list(parameters)],
                                                norm_type)))  # a host read (GPU: a sync)
