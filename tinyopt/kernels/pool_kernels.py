"""Window maxima as one compiled loop: each window's maximum and where it was read.

Max pooling over an (N, C, Hp, Wp) image (already padded) with kernel
(kh, kw), stride s and dilation d keeps, per output (n, c, i, j),

    best = max_{u, v} x[n, c, s_h i + d_h u, s_w j + d_w v]
    position = ((n C + c) Hp + s_h i + d_h u*) Wp + s_w j + d_w v*

at the first (u*, v*) in row-major kernel order that holds the maximum; a
NaN wins over any number (PyTorch's rules). In NumPy that is a pass over the
whole output per kernel offset for the maxima and another for the arg-max;
the loop below takes each window in one go, in registers. It is compiled on first use and cached
on disk (``cache=True``), and taken only where ``compiled_loops_take`` says
(``conv_kernels``): elsewhere ``ops/pool.py`` keeps its whole-array passes,
which the tests hold equal to this loop.

The loop runs over the image as one flat array: window (i, j) of plane p
starts at q = (p Hp + s_h i) Wp + s_w j, and its values sit at q + t for the
kh*kw offsets t = d_h u Wp + d_w v, passed as a tuple (up to
``UNROLLED_WINDOW`` of them), so that numba compiles (and caches) one loop
per window size with the offsets loop unrolled; bigger windows pass an array.
Each window is read twice, with no branch on its values but one rarely taken:
first its maximum m (``max``) and the sum of its values, then the first
offset whose value equals m, found by arithmetic on the comparisons. The sum
is NaN exactly when the window holds a NaN (or both infinities); only then
does the exact rule run, value by value. Measured against the one-pass loop
it replaces, which kept the lead with NaN-aware selects (the 2x2 windows of a
64x16x28x28 float32 batch, one thread): 1.5 ms vs 5.2 ms. (Spreading the
planes over numba's threads, ``prange``, took 0.3 ms more off with two cores,
for 3-5 s of compiling per window size: not kept.)
"""
import numpy

UNROLLED_WINDOW = 16
"""Windows of up to this many values get a loop of their own (compiled per size)."""

_kernel = None


def _compile():
    import numba

    @numba.njit(cache=True, error_model="numpy")
    def maxima(flat, planes, hp, wp, sh, sw, offsets, best, positions):
        oh, ow = best.shape[1], best.shape[2]
        for p in range(planes):
            for i in range(oh):
                top = (p * hp + sh * i) * wp
                for j in range(ow):
                    start = top + sw * j
                    value = total = flat[start]
                    for t in offsets:
                        x = flat[start + t]
                        value = max(value, x)
                        total += x
                    where = 0
                    if total != total:  # a NaN, or inf - inf: the exact rule, value by value
                        value = flat[start]
                        for t in offsets:
                            x = flat[start + t]
                            if (x > value) | ((x != x) & (value == value)):
                                value, where = x, t
                    else:  # the first offset that holds the maximum
                        found = False
                        for t in offsets:
                            hit = (flat[start + t] == value) & (not found)
                            where += hit * t
                            found |= hit
                    best[p, i, j] = flat[start + where]  # the value itself (its sign, at 0)
                    positions[p, i, j] = start + where
    return maxima


def window_maxima(image, kernel, stride, dilation, best, positions):
    """Fill (N, C, OH, OW) ``best`` and integer ``positions`` (flat, into ``image``)."""
    global _kernel
    if _kernel is None:
        _kernel = _compile()
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    n, c, hp, wp = image.shape
    offsets = [dh * u * wp + dw * v for u in range(kh) for v in range(kw)]
    # a tuple: one loop compiled per window size, unrolled; an array for big windows
    offsets = tuple(offsets) if len(offsets) <= UNROLLED_WINDOW else numpy.array(offsets)
    oh, ow = best.shape[2:]
    _kernel(numpy.ascontiguousarray(image).reshape(-1), n * c, hp, wp, sh, sw, offsets,
            best.reshape(n * c, oh, ow), positions.reshape(n * c, oh, ow))
