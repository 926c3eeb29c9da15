"""Window maxima as one compiled loop: each window's maximum and where it was read.

Max pooling over an (N, C, Hp, Wp) image (already padded) with kernel
(kh, kw), stride s and dilation d keeps, per output (n, c, i, j),

    best = max_{u, v} x[n, c, s_h i + d_h u, s_w j + d_w v]
    position = ((n C + c) Hp + s_h i + d_h u*) Wp + s_w j + d_w v*

at the first (u*, v*) in row-major kernel order that holds the maximum; a
NaN wins over any number (PyTorch's rules). In NumPy that is a pass over the
whole output per kernel offset for the maxima and another for the arg-max;
the loop below reads each window once. It is compiled on first use and cached
on disk (``cache=True``), and taken only where ``compiled_loops_take`` says
(``conv_kernels``): elsewhere ``ops/pool.py`` keeps its whole-array passes,
which the tests hold equal to this loop.

The loop runs over the image as one flat array: window (i, j) of plane p
starts at q = (p Hp + s_h i) Wp + s_w j, and its values sit at q + t for
the kh*kw offsets t = d_h u Wp + d_w v (a small table, row-major). The
comparison "x takes the lead" is written with ``&``/``|`` on booleans, not
``and``/``or``: short-circuit tests compile to branches that random data
mispredicts, and measured 3x slower (2x2 windows of a 64x16x28x28 batch:
2.9 ms vs 9.9 ms; 3x3 stride 1: 21 ms vs 52 ms, one thread).
"""
import numpy

_kernel = None


def _compile():
    import numba

    @numba.njit(inline="always")
    def takes_the_lead(x, value):
        """x beats the window's maximum so far: larger, or a NaN against a number."""
        return (x > value) | ((x != x) & (value == value))

    @numba.njit(cache=True, error_model="numpy")
    def maxima(flat, planes, hp, wp, sh, sw, offsets, best, positions):
        oh, ow = best.shape[1], best.shape[2]
        for p in range(planes):
            for i in range(oh):
                top = (p * hp + sh * i) * wp
                for j in range(ow):
                    start = top + sw * j
                    value, where = flat[start], start
                    for t in range(1, offsets.size):
                        x = flat[start + offsets[t]]
                        if takes_the_lead(x, value):
                            value, where = x, start + offsets[t]
                    best[p, i, j] = value
                    positions[p, i, j] = where
    return maxima


def window_maxima(image, kernel, stride, dilation, best, positions):
    """Fill (N, C, OH, OW) ``best`` and integer ``positions`` (flat, into ``image``)."""
    global _kernel
    if _kernel is None:
        _kernel = _compile()
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    n, c, hp, wp = image.shape
    offsets = numpy.array([dh * u * wp + dw * v for u in range(kh) for v in range(kw)],
                          dtype=numpy.int64)
    oh, ow = best.shape[2:]
    _kernel(numpy.ascontiguousarray(image).reshape(-1), n * c, hp, wp, sh, sw, offsets,
            best.reshape(n * c, oh, ow), positions.reshape(n * c, oh, ow))
