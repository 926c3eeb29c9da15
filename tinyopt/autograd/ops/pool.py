"""Max pooling as one op: the window maxima, and the input position each came from.

For (N, C, H, W) input padded (with -inf) to (Hp, Wp), window (i, j) with
kernel (kh, kw), stride s and dilation d reads the kh*kw values

    x[n, c, s_h i + d_h u, s_w j + d_w v]       u < kh, v < kw

(``unfold``: a strided view, no copy). The forward keeps each window's
maximum (a NaN wins, as in PyTorch) and the first kernel offset k = u kw + v
that holds it (PyTorch's choice at ties), as the flat input position

    p = ((n C + c) Hp + s_h i + d_h u) Wp + s_w j + d_w v

On NumPy arrays one compiled loop reads each window once
(``kernels/pool_kernels.py``); elsewhere (CuPy) the forward runs over the
kh*kw kernel offsets, each step one whole-array operation. The backward needs
no mask of the input: the gradient of each output goes to that one position,
added there by ``index_add`` (overlapping windows may pick one position
twice; disjoint windows, the usual kernel = stride, cannot, so the values are
just written), whose own gradient is the gather at the same positions, so the
backward differentiates again (``create_graph=True``).
"""
import math

from ... import backend
from ...kernels.conv_kernels import compiled_loops_take
from ...kernels.pool_kernels import window_maxima
from ..mode import no_grad
from ..tensor import make_result
from .shape import index_add, pad
from .window import unfold


def whole_array_maxima(patches, stride, dilation, padded_shape):
    """The window maxima and their flat input positions, one pass per kernel offset."""
    xp = backend.xp
    kh, kw = patches.shape[2:4]
    views = [patches[:, :, k // kw, k % kw] for k in range(kh * kw)]
    best = views[0].copy()
    for value in views[1:]:
        xp.maximum(best, value, out=best)
    offset = xp.zeros(best.shape, dtype=xp.int64)
    nan = xp.isnan(best)
    for k in reversed(range(kh * kw)):  # the smallest offset that holds the maximum is kept
        xp.copyto(offset, k, where=(views[k] == best) | (nan & xp.isnan(views[k])))
    (sh, sw), (dh, dw), (hp, wp) = stride, dilation, padded_shape
    u, v = xp.divmod(offset, kw)
    rows = xp.arange(best.shape[2]).reshape(-1, 1) * sh + dh * u
    columns = xp.arange(best.shape[3]) * sw + dw * v
    planes = xp.arange(best.shape[0] * best.shape[1]).reshape(best.shape[:2] + (1, 1))
    return best, (planes * hp + rows) * wp + columns


def max_pool_windows(x, kernel, stride, dilation, widths):
    """The maximum of every window of ``x`` padded by ``widths`` = (top, bottom, left, right)."""
    xp = backend.xp
    top, bottom, left, right = widths
    with no_grad():
        padded = pad(x, (left, right, top, bottom), value=float("-inf")) if any(widths) else x
        patches = unfold(padded, kernel, stride, dilation).array
    padded_shape = padded.shape  # all the backward keeps of it: not its values, nor x's
    hp, wp = padded_shape[2:]
    if compiled_loops_take(padded.array):  # one compiled pass (kernels/pool_kernels.py)
        best = xp.empty(patches.shape[:2] + patches.shape[4:], dtype=patches.dtype)
        # int32 positions where they fit: the largest array the pooling keeps for backward
        positions = xp.empty(best.shape, dtype=xp.int32 if padded.array.size < 2**31
                             else xp.int64)
        window_maxima(padded.array, kernel, stride, dilation, best, positions)
    else:
        best, positions = whole_array_maxima(patches, stride, dilation, (hp, wp))
    out = make_result(best, (x,), None, "max_pool2d", saved=())
    if out.requires_grad:
        disjoint = all(step >= spread * (size - 1) + 1  # no two windows share an input
                       for step, spread, size in zip(stride, dilation, kernel))

        def backward(g):
            image = index_add(g.reshape(-1), (positions.reshape(-1),),
                              (math.prod(padded_shape),), distinct=disjoint).reshape(padded_shape)
            return (image[:, :, top:hp - bottom, left:wp - right] if any(widths) else image,)
        out._backward = backward
    return out
