"""Shape and indexing operations: reshape, transpose, permute, squeeze, expand,
indexing, gather, cat, stack, pad.

These move values without changing them, so each gradient moves the output
gradient back: reshape <-> reshape, permute <-> inverse permute, expand <-> sum,
indexing <-> scatter-add (accumulating repeated indices), cat <-> slices,
pad <-> crop. The pairs are each other's gradients, which keeps second
derivatives available.
"""
import numpy

from ... import backend
from ...kernels.conv_kernels import compiled_loops_take
from ..mode import is_grad_enabled
from ..tensor import Tensor, make_result
from .broadcast import unbroadcast
from .scatter_kernel import add_rows, put_values


def normalize_dim(dim, ndim):
    """``dim`` as a non-negative axis, with PyTorch's message when out of range.

    A 0-d tensor accepts 0 and -1, as in PyTorch."""
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {dim})")
    return dim % max(ndim, 1)


def _view(op, a, data, backward):
    out = make_result(data, (a,), None, op, saved=())  # moves values, reads none in backward
    if out.requires_grad:
        out._backward = lambda g: (backward(g),)
    return out


def reshape(a, shape):
    """The same values in ``shape`` (one entry may be -1)."""
    try:
        data = a.array.reshape(shape)
    except ValueError:
        raise ValueError(f"reshape: shape {tuple(shape)} is invalid for input of shape {a.shape} "
                         f"({a.array.size} elements)") from None
    return _view("reshape", a, data, lambda g: g.reshape(a.shape))


def flatten(a, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim..end_dim`` into one."""
    if a.ndim == 0:
        return reshape(a, (1,))
    start, end = normalize_dim(start_dim, a.ndim), normalize_dim(end_dim, a.ndim)
    merged = 1
    for n in a.shape[start:end + 1]:
        merged *= n
    return reshape(a, a.shape[:start] + (merged,) + a.shape[end + 1:])


def permute(a, dims):
    """Reorder the dimensions: output axis i is input axis ``dims[i]``."""
    dims = tuple(normalize_dim(d, a.ndim) for d in dims)
    if sorted(dims) != list(range(a.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of {a.ndim} dimensions")
    inverse = tuple(sorted(range(a.ndim), key=lambda i: dims[i]))
    return _view("permute", a, a.array.transpose(dims), lambda g: permute(g, inverse))


def transpose(a, dim0, dim1):
    """Swap dimensions ``dim0`` and ``dim1``."""
    dims = list(range(a.ndim))
    d0, d1 = normalize_dim(dim0, a.ndim), normalize_dim(dim1, a.ndim)
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return permute(a, dims)


def squeeze(a, dim=None):
    """Drop size-1 dimensions (only those in ``dim`` when given)."""
    if dim is None:
        axes = tuple(i for i, n in enumerate(a.shape) if n == 1)
    else:
        dims = (dim,) if isinstance(dim, int) else dim
        axes = tuple(normalize_dim(d, a.ndim) for d in dims if a.shape[d] == 1)
    return reshape(a, tuple(n for i, n in enumerate(a.shape) if i not in axes))


def unsqueeze(a, dim):
    """Insert a size-1 dimension so that it sits at ``dim`` in the result."""
    axis = normalize_dim(dim, a.ndim + 1)
    return reshape(a, a.shape[:axis] + (1,) + a.shape[axis:])


def expand(a, shape):
    """Broadcast ``a`` to ``shape`` (-1 keeps a size); the gradient sums back."""
    lead = len(shape) - a.ndim
    shape = tuple(a.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    if shape == a.shape:
        return a
    try:
        data = backend.xp.broadcast_to(a.array, shape)
    except ValueError:
        raise ValueError(f"expand: shape {a.shape} cannot be broadcast to {shape}") from None
    return _view("expand", a, data, lambda g: unbroadcast(g, a.shape))


def raw_index(index):
    """Turn Tensors inside an index into arrays."""
    if isinstance(index, tuple):
        return tuple(raw_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.array
    if isinstance(index, list):
        return backend.asarray(index)
    return index


class IndexedGrad:
    """A gradient that is zero except at ``index``: what ``x[index]``'s backward returns.

    The engine adds ``values`` into one buffer of ``shape`` in place, so a
    loop over ``x[t]`` (a recurrent layer's time steps) costs O(T) in
    backward, not the O(T^2) of a zero-filled full-size gradient per step.
    Only plain backward passes use it; ``create_graph=True`` records the
    ordinary scatter op instead, so second derivatives stay exact.
    """

    __slots__ = ("index", "values", "shape")

    def __init__(self, index, values, shape):
        self.index, self.values, self.shape = index, values, shape


def getitem(a, index):
    """``a[index]``: basic slicing, integer arrays (embedding lookups), boolean masks."""
    index = raw_index(index)
    data = a.array[index]
    basic = _is_basic(index)

    def backward(g):
        if basic and not is_grad_enabled():  # a plain pass: added in place, O(slice)
            return IndexedGrad(index, g, a.shape)
        return index_add(g, index, a.shape)
    return _view("getitem", a, data, backward)


def unbind(a, dim=0):
    """The slices of ``a`` along ``dim``, as a tuple (PyTorch's ``unbind``).

    In a plain backward each slice's gradient is added in place into one
    buffer of ``a``'s shape, so the gradients of all slices arrive stacked
    at O(size of ``a``) cost, however many slices there are."""
    axis = normalize_dim(dim, a.ndim)
    lead = (slice(None),) * axis
    return tuple(getitem(a, lead + (i,)) for i in range(a.shape[axis]))


def index_add(values, index, shape, distinct=False):
    """A zero tensor of ``shape`` with ``values`` added at ``index`` (repeats accumulate).

    ``distinct=True`` promises that no position repeats, so the values are simply written
    (one scatter, instead of ``add.at``'s far slower buffered loop)."""
    xp = backend.xp
    if (distinct and len(shape) == 1 and values.ndim == 1 and compiled_loops_take(values.array)
            and type(index) is tuple and len(index) == 1 and type(index[0]) is numpy.ndarray
            and index[0].dtype.kind in "iu" and index[0].shape == values.shape):
        data = put_values(values.array, index[0], shape[0])  # one compiled write per value
    elif _is_basic(index) or distinct:
        data = xp.zeros(shape, dtype=values.dtype)
        data[index] = values.array
    elif (type(values.array) is numpy.ndarray and values.dtype.kind == "f"
          and type(index) is numpy.ndarray and index.dtype.kind in "iu"
          and values.shape == index.shape + tuple(shape[1:])):
        data = add_rows(values.array, index, shape)  # whole rows, as an embedding's backward
    else:
        data = xp.zeros(shape, dtype=values.dtype)
        xp.add.at(data, index, values.array)
    return _view("index_add", values, data, lambda g: getitem(g, index))


def index_put(a, index, values):
    """``a`` with ``values`` written at ``index`` (the op behind ``a[index] = values``).

    The gradient reaches ``a`` everywhere except at ``index`` and ``values``
    at ``index`` (summed where ``values`` was broadcast)."""
    index = raw_index(index)
    if isinstance(values, Tensor):
        data = a.array.copy()
        data[index] = values.array
        out = make_result(data, (a, values), None, "index_put", saved=())
        if out.requires_grad:
            out._backward = lambda g: (index_put(g, index, 0.0),
                                       unbroadcast(getitem(g, index), values.shape))
        return out
    data = a.array.copy()
    data[index] = values
    return _view("index_put", a, data, lambda g: index_put(g, index, 0.0))


def _is_basic(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


def _along_axis(index, dim):
    """A fancy-index tuple that picks ``index`` along ``dim`` and keeps other axes."""
    xp = backend.xp
    parts = []
    for axis, size in enumerate(index.shape):
        if axis == dim:
            parts.append(index)
        else:
            shape = [1] * index.ndim
            shape[axis] = size
            parts.append(xp.arange(size).reshape(shape))
    return tuple(parts)


def gather(a, dim, index):
    """``out[i][j] = a[index[i][j]][j]`` for ``dim=0`` (PyTorch's gather)."""
    index = raw_index(index)
    if index.ndim != a.ndim:
        raise ValueError(f"gather: index has {index.ndim} dims but input has {a.ndim}")
    return getitem(a, _along_axis(index, normalize_dim(dim, a.ndim)))


def cat(tensors, dim=0):
    """Concatenate tensors along an existing dimension ``dim``."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat needs at least one tensor")
    axis = normalize_dim(dim, tensors[0].ndim)
    try:
        data = backend.xp.concatenate([t.array for t in tensors], axis=axis)
    except ValueError:
        shapes = [t.shape for t in tensors]
        raise ValueError(f"cat: shapes {shapes} differ outside dim {dim}") from None
    out = make_result(data, tuple(tensors), None, "cat", saved=())
    if out.requires_grad:
        bounds, start = [], 0
        for t in tensors:
            bounds.append((start, start + t.shape[axis]))
            start += t.shape[axis]
        lead = (slice(None),) * axis
        out._backward = lambda g: tuple(g[lead + (slice(lo, hi),)] for lo, hi in bounds)
    return out


def stack(tensors, dim=0):
    """Stack equally shaped tensors along a new dimension ``dim``."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    return cat([unsqueeze(t, dim) for t in tensors], dim)


def pad(a, pad, value=0.0):
    """Constant padding, PyTorch's ``F.pad`` order: ``(left, right)`` of the last dim,
    then of the one before, and so on."""
    if len(pad) % 2 or len(pad) // 2 > a.ndim:
        raise ValueError(f"pad: needs pairs for at most {a.ndim} dims, got {tuple(pad)}")
    if any(p < 0 for p in pad):
        raise ValueError(f"pad: widths must be >= 0, got {tuple(pad)}")
    widths = [(0, 0)] * a.ndim
    for i in range(len(pad) // 2):
        widths[a.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    crop = tuple(slice(lo, n + lo) for (lo, _), n in zip(widths, a.shape))
    # the frame filled, the values copied in: numpy.pad's generic machinery costs more
    data = backend.xp.full(tuple(lo + n + hi for (lo, hi), n in zip(widths, a.shape)), value,
                           dtype=a.dtype)
    data[crop] = a.array
    return _view("pad", a, data, lambda g: g[crop])
