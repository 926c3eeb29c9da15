"""Reductions: sum, mean, var, std, max/min (with indices), logsumexp, softmax, log_softmax.

Gradients of reductions spread the output gradient back over the reduced axes:

    sum:  dL/dx = expand(g)              mean: expand(g) / n
    max:  g flows to the arg-max (with ``dim``) or is shared equally among ties
    std:  g / (2 std) times var's gradient, and 0 where std = 0 (PyTorch's choice)
    logsumexp, softmax, log_softmax, var: composed from the ops above, so
          their gradients (and second derivatives) follow from the chain rule.
"""
from collections import namedtuple

from ... import backend
from ..tensor import Tensor, make_result
from .elementwise import where
from .shape import expand, normalize_dim

MaxMin = namedtuple("MaxMin", ["values", "indices"])
MaxMin.__doc__ = "The ``(values, indices)`` pair that ``max(dim)``/``min(dim)`` return."


def normalize_dims(dim, ndim):
    """``dim`` (None, int or tuple) as a sorted tuple of non-negative axes.

    A 0-d tensor has no axes to reduce: ``dim`` 0 or -1 gives ``()``, as in PyTorch."""
    dims = range(ndim) if dim is None else (dim,) if isinstance(dim, int) else tuple(dim)
    axes = {normalize_dim(d, ndim) for d in dims}
    return tuple(sorted(axes)) if ndim else ()


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def sum(a, dim=None, keepdim=False):
    """Sum over ``dim``."""
    axes = normalize_dims(dim, a.ndim)
    data = a.data.sum(axis=axes, keepdims=keepdim)
    out = make_result(data, (a,), None, "sum")
    if out.requires_grad:
        kept = _kept_shape(a.shape, axes)
        out._backward = lambda g: (expand(g.reshape(kept), a.shape),)
    return out


def mean(a, dim=None, keepdim=False):
    """Mean over ``dim``."""
    axes = normalize_dims(dim, a.ndim)
    count = 1
    for axis in axes:
        count *= a.shape[axis]
    return sum(a, axes, keepdim) / count


def var(a, dim=None, keepdim=False, correction=1):
    """Variance over ``dim``: sum((x - mean)^2) / (n - correction)."""
    axes = normalize_dims(dim, a.ndim)
    count = 1
    for axis in axes:
        count *= a.shape[axis]
    centred = a - mean(a, axes, keepdim=True)
    return sum(centred * centred, axes, keepdim) / max(count - correction, 0)


def std(a, dim=None, keepdim=False, correction=1):
    """sqrt(var(a)); where all values are equal the gradient is 0, not 0/0, as in PyTorch."""
    variance = var(a, dim, keepdim, correction)
    data = backend.xp.sqrt(variance.data)
    out = make_result(data, (variance,), None, "std")
    if out.requires_grad:
        flat = data == 0
        # the safe denominator keeps inf * 0 = nan out of the second derivative too
        out._backward = lambda g: (where(flat, 0.0, g / (2 * where(flat, 1.0, out))),)
    return out


def extreme(a, dim, keepdim, kind):
    """``max``/``min``: a scalar for ``dim=None``, else a ``(values, indices)`` pair."""
    xp = backend.xp
    if a.data.size == 0:
        raise ValueError(f"{kind}() of an empty tensor (shape {a.shape}) is undefined")
    if dim is None:
        data = a.data.max() if kind == "max" else a.data.min()
        out = make_result(data, (a,), None, kind)
        if out.requires_grad:
            ties = (a.data == data).astype(a.dtype)
            out._backward = lambda g: (g * (ties / ties.sum()),)
        return out
    axis = normalize_dim(dim, a.ndim)
    if a.ndim == 0:  # PyTorch allows dim 0 / -1 on a scalar: the value and index 0
        values, indices = extreme(a.reshape(1), 0, False, kind)
        return MaxMin(values.reshape(()), indices.reshape(()))
    arg = xp.argmax if kind == "max" else xp.argmin
    indices = xp.expand_dims(arg(a.data, axis=axis), axis)
    data = xp.take_along_axis(a.data, indices, axis)
    if not keepdim:
        data, indices_out = data.squeeze(axis), indices.squeeze(axis)
    else:
        indices_out = indices
    out = make_result(data, (a,), None, kind)
    if out.requires_grad:
        positions = xp.arange(a.shape[axis]).reshape(
            (1,) * axis + (-1,) + (1,) * (a.ndim - axis - 1))
        one_hot = (positions == indices).astype(a.dtype)
        kept = _kept_shape(a.shape, (axis,))
        out._backward = lambda g: (g.reshape(kept) * one_hot,)
    return MaxMin(out, Tensor(indices_out))


def argextreme(a, dim, keepdim, kind):
    """Indices of the max/min along ``dim`` (of the flattened tensor when None)."""
    xp = backend.xp
    arg = xp.argmax if kind == "max" else xp.argmin
    if dim is None:
        return Tensor(arg(a.data))
    axis = normalize_dim(dim, a.ndim)
    return Tensor(arg(a.data, axis=axis, keepdims=keepdim))


def logsumexp(a, dim, keepdim=False):
    """log(sum(exp(a), dim)), shifted by the (constant) maximum so exp never overflows."""
    axes = normalize_dims(dim, a.ndim)
    shift = a.data.max(axis=axes, keepdims=True)
    shift = backend.xp.where(backend.xp.isfinite(shift), shift, 0)
    total = sum((a - shift).exp(), axes, keepdim=True).log() + shift
    return total if keepdim else total.squeeze(axes)


def softmax(a, dim):
    """exp(a) / sum(exp(a)) along ``dim``, shifted by the maximum for stability."""
    axis = normalize_dim(dim, a.ndim)
    shifted = (a - a.data.max(axis=axis, keepdims=True)).exp()
    return shifted / sum(shifted, axis, keepdim=True)


def log_softmax(a, dim):
    """a - logsumexp(a) along ``dim``."""
    return a - logsumexp(a, dim, keepdim=True)
