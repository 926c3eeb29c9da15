"""GELU of a float32 NumPy array in one compiled loop: the values and their slope.

For y = x Phi(x), with Phi the standard normal CDF and phi its density,

    Phi(x) = (1 + erf(x / sqrt 2)) / 2,      dy/dx = Phi(x) + x phi(x),
    phi(x) = exp(-x^2 / 2) / sqrt(2 pi).

The loop writes y and dy/dx together (NumPy supplies exp(-x^2 / 2)), so the backward is one product
g * dy/dx. NumPy has no ``erf``, and libm's costs ~20 ns a value; here erf is
Eigen's float32 rational approximation (``generic_fast_erf_float``): on
[-4, 4], erf(x) ~ x P(x^2) / Q(x^2) with P of degree 6 and Q of degree 4
(outside, erf is +-1 to float32 precision). Its error is below 5e-7, a few
float32 ulps; ``tests/test_attention_fast_paths.py`` holds the loop to the
exact float64 formula. It is compiled on first use and cached on disk
(``cache=True``); ``elementwise.gelu`` takes it for float32 NumPy arrays
only, and keeps the exact erf for float64 (gradcheck) and other backends.
"""
import numpy

_F = numpy.float32
_P = tuple(_F(c) for c in (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
                           -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
                           -1.60960333262415e-02))
_Q = tuple(_F(c) for c in (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
                           -7.37332916720468e-03, -1.42647390514189e-02))
_kernel = None


def _compile():
    import numba
    p0, p1, p2, p3, p4, p5, p6 = _P
    q0, q1, q2, q3, q4 = _Q
    four, half, one = _F(4), _F(0.5), _F(1)
    rsqrt2, rsqrt_2pi = _F(0.7071067811865476), _F(0.3989422804014327)

    # error_model="numpy" and comparisons (not min/max) let LLVM vectorise the loop;
    # a NaN passes both comparisons untouched and comes out NaN
    @numba.njit(cache=True, fastmath={"contract"}, error_model="numpy")
    def gelu_with_slope(x, gauss, y, slope):
        for i in range(x.size):
            v = x[i]
            z = v * rsqrt2
            z = four if z > four else z
            z = -four if z < -four else z
            z2 = z * z
            numerator = ((((((p0 * z2 + p1) * z2 + p2) * z2 + p3) * z2 + p4) * z2 + p5) * z2
                         + p6) * z
            denominator = (((q0 * z2 + q1) * z2 + q2) * z2 + q3) * z2 + q4
            cdf = half * (one + numerator / denominator)
            y[i] = v * cdf
            slope[i] = cdf + v * rsqrt_2pi * gauss[i]
    return gelu_with_slope


def gelu_with_slope(x):
    """``(y, dy/dx)`` of GELU for a float32 NumPy array ``x`` (module docstring)."""
    global _kernel
    if _kernel is None:
        _kernel = _compile()
    flat = numpy.ascontiguousarray(x).reshape(-1)
    gauss = flat * flat
    gauss *= numpy.float32(-0.5)
    numpy.exp(gauss, out=gauss)  # exp(-x^2 / 2): NumPy's exp is vectorised, numba's is not
    y, slope = numpy.empty_like(flat), numpy.empty_like(flat)
    _kernel(flat, gauss, y, slope)
    return y.reshape(x.shape), slope.reshape(x.shape)
