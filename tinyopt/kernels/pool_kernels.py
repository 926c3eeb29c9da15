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
"""
_kernel = None


def window_maxima(image, kernel, stride, dilation, best, positions):
    """Fill (N, C, OH, OW) ``best`` and int64 ``positions`` (flat, into ``image``)."""
    global _kernel
    if _kernel is None:
        import numba

        @numba.njit(cache=True)
        def maxima(image, kh, kw, sh, sw, dh, dw, best, positions):
            n, c, hp, wp = image.shape
            oh, ow = best.shape[2], best.shape[3]
            for b in range(n):
                for ch in range(c):
                    plane = (b * c + ch) * hp
                    for i in range(oh):
                        for j in range(ow):
                            top, left = sh * i, sw * j
                            value = image[b, ch, top, left]
                            where = (plane + top) * wp + left
                            for u in range(kh):
                                row = top + dh * u
                                for v in range(kw):
                                    x = image[b, ch, row, left + dw * v]
                                    if x > value or (x != x and value == value):
                                        value = x
                                        where = (plane + row) * wp + left + dw * v
                            best[b, ch, i, j] = value
                            positions[b, ch, i, j] = where
        _kernel = maxima
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    _kernel(image, kh, kw, sh, sw, dh, dw, best, positions)
