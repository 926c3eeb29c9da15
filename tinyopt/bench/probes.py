"""Memory-bandwidth probes for the step benchmark: what the machine can move, measured in the run.

An optimizer step is memory-bound, so its speed is judged against two
probes over arrays of the same size, both numba loops over all cores:

- ``same_traffic(arrays)``: a trivial loop with exactly the step's traffic,
  reading every array and writing all but the second (the gradient is only
  read): AdamW's p, g, m, v read and p, m, v written. This is the realistic
  floor; a step can hardly beat it.
- ``in_place_update(a, b)``: ``a += s * b``, the classic in-place triad
  (read 2, write 1). Copy and triad probes that write a fresh array
  underestimate the machine (the write-allocate read is not counted).
"""
import numba
import numpy


@numba.njit(parallel=True, cache=True)
def _read2_write1(a, g):
    for i in numba.prange(a.size):
        a[i] = a[i] + g[i]


@numba.njit(parallel=True, cache=True)
def _read3_write2(a, g, b):
    for i in numba.prange(a.size):
        x = a[i] + g[i] + b[i]
        a[i] = x
        b[i] = x


@numba.njit(parallel=True, cache=True)
def _read4_write3(a, g, b, c):
    for i in numba.prange(a.size):
        x = a[i] + g[i] + b[i] + c[i]
        a[i] = x
        b[i] = x
        c[i] = x


@numba.njit(parallel=True, cache=True)
def _read5_write4(a, g, b, c, d):
    for i in numba.prange(a.size):
        x = a[i] + g[i] + b[i] + c[i] + d[i]
        a[i] = x
        b[i] = x
        c[i] = x
        d[i] = x


_SAME_TRAFFIC = {2: _read2_write1, 3: _read3_write2, 4: _read4_write3, 5: _read5_write4}


def same_traffic(arrays):
    """Run the trivial loop that reads all ``arrays`` (2 to 5) and writes all but the second."""
    _SAME_TRAFFIC[len(arrays)](*arrays)


@numba.njit(parallel=True, cache=True)
def _axpy(a, s, b):
    for i in numba.prange(a.size):
        a[i] += s * b[i]


def in_place_update(a, b):
    """``a += 1e-3 * b`` over all cores (reads 2 arrays, writes 1)."""
    _axpy(a, a.dtype.type(1e-3), b)


def scratch_arrays(count, size, dtype):
    """``count`` distinct arrays of ``size`` small values (touched, so pages are mapped)."""
    return [numpy.full(size, 1e-3, dtype=dtype) for _ in range(count)]
