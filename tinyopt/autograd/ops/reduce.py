"""Reductions: sum, mean, var, std, max/min (with indices), logsumexp, softmax, log_softmax.

Gradients of reductions spread the output gradient back over the reduced axes:

    sum:  dL/dx = expand(g)              mean: expand(g) / n
    max:  g flows to the arg-max (with ``dim``) or is shared equally among ties
    std:  g / (2 std) times var's gradient, and 0 where std = 0 (PyTorch's choice)
    softmax: y (g - sum(g y))     log_softmax: g - softmax * sum(g)   (one op each)
    logsumexp, var: composed from the ops above, so their gradients (and
          second derivatives) follow from the chain rule.
"""
from collections import namedtuple

import numpy

from ... import backend
from ...kernels.conv_kernels import compiled_loops_take
from ..mode import autocast_dtype
from ..tensor import Tensor, as_gradients, backward_operands, make_result
from .elementwise import where
from .shape import expand, normalize_dim
from .softmax_kernel import softmax_last_axis, softmax_last_axis_backward

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
    data = a.array.sum(axis=axes, keepdims=keepdim)
    out = make_result(data, (a,), None, "sum", saved=())
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
    data = backend.xp.sqrt(variance.array)
    out = make_result(data, (variance,), None, "std", saved=(), saves_output=True)
    if out.requires_grad:
        flat = data == 0
        # the safe denominator keeps inf * 0 = nan out of the second derivative too
        out._backward = lambda g: (where(flat, 0.0, g / (2 * where(flat, 1.0, out))),)
    return out


def extreme(a, dim, keepdim, kind):
    """``max``/``min``: a scalar for ``dim=None``, else a ``(values, indices)`` pair."""
    xp = backend.xp
    if a.array.size == 0:
        raise ValueError(f"{kind}() of an empty tensor (shape {a.shape}) is undefined")
    if dim is None:
        data = a.array.max() if kind == "max" else a.array.min()
        out = make_result(data, (a,), None, kind)
        if out.requires_grad:
            ties = (a.array == data).astype(a.dtype)
            out._backward = lambda g: (g * (ties / ties.sum()),)
        return out
    axis = normalize_dim(dim, a.ndim)
    if a.ndim == 0:  # PyTorch allows dim 0 / -1 on a scalar: the value and index 0
        values, indices = extreme(a.reshape(1), 0, False, kind)
        return MaxMin(values.reshape(()), indices.reshape(()))
    arg = xp.argmax if kind == "max" else xp.argmin
    indices = xp.expand_dims(arg(a.array, axis=axis), axis)
    data = xp.take_along_axis(a.array, indices, axis)
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
        return Tensor(arg(a.array))
    axis = normalize_dim(dim, a.ndim)
    return Tensor(arg(a.array, axis=axis, keepdims=keepdim))


def _float32_under_autocast(a):
    """Under ``amp.autocast``, softmax-like ops compute in float32 (PyTorch's rule)."""
    if autocast_dtype() is not None and a.dtype == "float16":
        return a.float()
    return a


def logsumexp(a, dim, keepdim=False):
    """log(sum(exp(a), dim)), shifted by the (constant) maximum so exp never overflows."""
    a = _float32_under_autocast(a)
    axes = normalize_dims(dim, a.ndim)
    shift = a.array.max(axis=axes, keepdims=True)
    shift = backend.xp.where(backend.xp.isfinite(shift), shift, 0)
    total = sum((a - shift).exp(), axes, keepdim=True).log() + shift
    return total if keepdim else total.squeeze(axes)


def softmax(a, dim):
    """exp(a) / sum(exp(a)) along ``dim`` as one op (shifted by the maximum for stability).

    Backward, also one expression: dL/da = y * (g - sum(g * y)) along ``dim``,
    written in tensor ops so it differentiates again."""
    a = _float32_under_autocast(a)
    axis = normalize_dim(dim, a.ndim)
    xp = backend.xp
    # float NumPy rows along the last axis: the compiled row loops of softmax_kernel
    rows = compiled_loops_take(a.array) and axis == a.ndim - 1 and a.array.size > 0
    if rows:
        data = softmax_last_axis(a.array)
    else:
        shifted = xp.exp(a.array - a.array.max(axis=axis, keepdims=True))
        data = shifted / shifted.sum(axis=axis, keepdims=True)
    out = make_result(data, (a,), None, "softmax", saved=(), saves_output=True)
    if out.requires_grad:
        def backward(g):
            plain, (G, Y) = backward_operands(g, out)
            if plain and rows and type(G) is numpy.ndarray:
                return (Tensor(softmax_last_axis_backward(G, Y)),)
            return as_gradients(plain, (Y * (G - (G * Y).sum(axis=axis, keepdims=True)),))
        out._backward = backward
    return out


def log_softmax(a, dim):
    """a - logsumexp(a) along ``dim`` as one op; backward: g - softmax(a) * sum(g)."""
    a = _float32_under_autocast(a)
    axis = normalize_dim(dim, a.ndim)
    xp = backend.xp
    shifted = a.array - a.array.max(axis=axis, keepdims=True)
    data = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
    out = make_result(data, (a,), None, "log_softmax", saved=(), saves_output=True)
    if out.requires_grad:
        def backward(g):
            plain, (G, Y) = backward_operands(g, out)
            exp = backend.xp.exp if plain else Tensor.exp
            return as_gradients(plain, (G - exp(Y) * G.sum(axis=axis, keepdims=True),))
        out._backward = backward
    return out


def vector_norm(a, ord=2, dim=None, keepdim=False):
    """The ``ord``-norm over ``dim``: (sum |x|^ord)^(1/ord); inf/-inf: max/min |x|; 0: count.

    The 2-norm's gradient x / ||x|| is 0 where the norm is 0, as in PyTorch.
    """
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(f"ord must be a number (2, 1, inf, ...), got {ord!r}")
    axes = normalize_dims(dim, a.ndim)
    if ord == 2:
        squares = sum(a * a, axes, keepdim=True)
        norm = _norm_from_squares(squares)
    elif ord == float("inf") or ord == -float("inf"):
        reduced = extreme(a.abs(), None, False, "max" if ord > 0 else "min") if len(axes) == a.ndim \
            else _extreme_over(a.abs(), axes, "max" if ord > 0 else "min")
        norm = reduced.reshape(_kept_shape(a.shape, axes))
    elif ord == 0:
        norm = Tensor((a.array != 0).sum(axis=axes, keepdims=True).astype(a.dtype))
    elif ord == 1:
        norm = sum(a.abs(), axes, keepdim=True)
    else:
        norm = sum(a.abs() ** ord, axes, keepdim=True) ** (1.0 / ord)
    return norm if keepdim else norm.reshape(tuple(
        n for i, n in enumerate(a.shape) if i not in axes))


def _norm_from_squares(squares):
    """sqrt(squares) whose gradient is 0 (not inf) where ``squares`` is 0."""
    xp = backend.xp
    out = make_result(xp.sqrt(squares.array), (squares,), None, "norm", saved=(),
                      saves_output=True)
    if out.requires_grad:
        zero = out.array == 0
        out._backward = lambda g: (where(zero, 0.0, g / (2 * where(zero, 1.0, out))),)
    return out


def _extreme_over(a, axes, kind):
    for axis in reversed(axes):
        a = extreme(a, axis, False, kind).values
    return a


def prod(a, dim=None, keepdim=False):
    """The product over ``dim`` (an int, or None for all elements).

    Its gradient, the product of the other elements, is exact also at zeros;
    its second derivative is not recorded (``create_graph=True`` raises)."""
    xp = backend.xp
    flat = dim is None
    x = a.array.reshape(-1) if flat else a.array
    axis = 0 if flat else normalize_dim(dim, a.ndim)
    data = x.prod(axis=axis, keepdims=keepdim and not flat)
    out = make_result(data, (a,), None, "prod")
    if out.requires_grad:
        ones = xp.ones_like(xp.take(x, [0], axis=axis))
        before = xp.cumprod(xp.concatenate([ones, xp.take(x, range(x.shape[axis] - 1),
                                                          axis=axis)], axis=axis), axis=axis)
        reverse = xp.flip(x, axis=axis)
        after = xp.flip(xp.cumprod(xp.concatenate(
            [ones, xp.take(reverse, range(x.shape[axis] - 1), axis=axis)], axis=axis),
            axis=axis), axis=axis)
        others = (before * after).reshape(a.shape)

        def backward(g):
            if g.requires_grad:
                raise NotImplementedError("second derivatives of prod are not implemented")
            kept = (1,) * a.ndim if flat else _kept_shape(a.shape, (axis,))
            return (expand(g.reshape(kept), a.shape) * Tensor(others),)
        out._backward = backward
    return out
