"""Softmax over the last axis of NumPy rows: compiled loops around NumPy's exp.

For a row a of length n, with y = softmax(a) and g = dL/dy:

    forward:  s = a - max(a),   e = exp(s),   y = e / sum(e)
    backward: dL/da = y * (g - sum(g * y))

NumPy reduces along a short last axis (an attention row is one key per
position: 32 values) slowly: ``max(axis=-1)`` alone costs four times the
``exp`` of the whole array. So the row maximum, the shift, the row sum and the
scaling are compiled loops that read each row once (sums in float64), while
the ``exp`` stays NumPy's (vectorised; numba's scalar exp is not). A row's
maximum is finite whenever one entry is (masked entries are -inf and give
exp = 0); a row of only -inf gives NaN, as in PyTorch. They are compiled on
first use and cached on disk (``cache=True``); ``reduce.softmax`` takes them
for float NumPy arrays in a plain pass, and ``tests/test_attention_fast_paths.py``
holds them equal to the NumPy formula (float64, 1e-12).
"""
import numpy

_kernels = None


def _compile():
    import numba

    @numba.njit(cache=True, error_model="numpy")
    def shift_by_row_max(a, s):
        rows, n = a.shape
        for i in range(rows):
            largest = a[i, 0]
            for j in range(1, n):
                if a[i, j] > largest:
                    largest = a[i, j]
            for j in range(n):
                s[i, j] = a[i, j] - largest

    @numba.njit(cache=True, error_model="numpy")
    def divide_by_row_sum(e):
        rows, n = e.shape
        for i in range(rows):
            total = 0.0
            for j in range(n):
                total += e[i, j]
            scale = 1.0 / total
            for j in range(n):
                e[i, j] *= scale

    @numba.njit(cache=True, error_model="numpy")
    def backward(g, y, da):
        rows, n = g.shape
        for i in range(rows):
            total = 0.0
            for j in range(n):
                total += g[i, j] * y[i, j]
            for j in range(n):
                da[i, j] = y[i, j] * (g[i, j] - total)
    return shift_by_row_max, divide_by_row_sum, backward


def _loops():
    global _kernels
    if _kernels is None:
        _kernels = _compile()
    return _kernels


def _matrix(values):
    """A contiguous (rows, n) view (or copy) of ``values`` over its last axis."""
    return numpy.ascontiguousarray(values).reshape(-1, values.shape[-1])


def softmax_last_axis(a):
    """softmax(a) along the last axis of a float NumPy array (module docstring)."""
    shift_by_row_max, divide_by_row_sum, _ = _loops()
    y = numpy.empty(a.shape, a.dtype)
    rows = y.reshape(-1, a.shape[-1])
    shift_by_row_max(_matrix(a), rows)
    numpy.exp(rows, out=rows)
    divide_by_row_sum(rows)
    return y


def softmax_last_axis_backward(g, y):
    """dL/da = y * (g - sum(g * y)) along the last axis, for NumPy ``g`` and the output ``y``."""
    da = numpy.empty(y.shape, y.dtype)
    _loops()[2](_matrix(g.astype(y.dtype, copy=False)), _matrix(y), da.reshape(-1, y.shape[-1]))
    return da
