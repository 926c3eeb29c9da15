"""The array module in use, the default float dtype, the random generator,
and moves between host (NumPy) and device arrays.

Every piece of math in tinyopt reaches arrays through this module
(``backend.xp.exp(...)``, never a bare ``import numpy``), so that switching the
backend to CuPy moves the whole library to the GPU.

Example::

    >>> from tinyopt import backend
    >>> backend.xp.__name__
    'numpy'
    >>> backend.set_default_dtype("float64")
"""
import numpy

xp = numpy
"""The array module every op uses: ``numpy`` (default) or ``cupy``."""

_FLOAT_DTYPES = {"float16": numpy.float16, "float32": numpy.float32, "float64": numpy.float64}
_default_dtype = numpy.dtype(numpy.float32)
_generator = numpy.random.default_rng(0)


def default_dtype():
    """The float dtype new tensors and parameters get (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype):
    """Set the float dtype for new tensors: ``"float32"``, ``"float64"`` or ``"float16"``.

    Raises ``ValueError`` for anything that is not one of these float dtypes.
    """
    global _default_dtype
    name = numpy.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in _FLOAT_DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_FLOAT_DTYPES)}, got {dtype!r}")
    _default_dtype = numpy.dtype(_FLOAT_DTYPES[name])


class default_dtype_as:
    """Context manager that sets the default float dtype inside a ``with`` block."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __enter__(self):
        self.previous = _default_dtype
        set_default_dtype(self.dtype)

    def __exit__(self, *exc):
        set_default_dtype(self.previous)


def is_float(dtype):
    """True when ``dtype`` is a floating-point dtype."""
    return numpy.issubdtype(numpy.dtype(dtype), numpy.floating)


def manual_seed(seed):
    """Seed tinyopt's random generator (weights, dropout masks, shuffling)."""
    global _generator
    if not isinstance(seed, (int, numpy.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    _generator = xp.random.default_rng(int(seed))


def rng():
    """The generator behind every random draw in tinyopt (see ``manual_seed``)."""
    return _generator


def asarray(value, dtype=None):
    """``value`` as an array of the current backend (no copy when already one)."""
    return xp.asarray(value, dtype=dtype)


def to_host(array):
    """A NumPy copy (or view) of a backend array, for printing, plotting and saving."""
    if hasattr(array, "get"):  # cupy.ndarray
        return array.get()
    return numpy.asarray(array)


def to_device(array):
    """A backend array holding the values of a host (NumPy) array."""
    return xp.asarray(array)


def set_backend(name):
    """Switch the array module: ``"numpy"`` or ``"cupy"`` (needs a GPU and CuPy).

    Arrays already created stay where they are; move them with ``to_device``.
    """
    global xp, _generator
    if name == "numpy":
        xp = numpy
    elif name == "cupy":
        try:
            import cupy
        except ImportError as error:
            raise ImportError("the cupy backend needs CuPy: pip install 'tinyopt[gpu]'") from error
        xp = cupy
    else:
        raise ValueError(f"backend must be 'numpy' or 'cupy', got {name!r}")
    _generator = xp.random.default_rng(0)


def erf(x):
    """Elementwise error function on a backend array (exact to float rounding).

    NumPy has no ``erf``; a Numba-vectorised ``math.erf`` gives the libm value,
    compiled once on first use and cached on disk. CuPy has its own.
    """
    if xp is not numpy:
        from cupyx.scipy.special import erf as cupy_erf
        return cupy_erf(x)
    return _numba_erf()(x)


_erf_ufunc = None


def _numba_erf():
    global _erf_ufunc
    if _erf_ufunc is None:
        import math
        import numba

        @numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)
        def erf_ufunc(value):
            return math.erf(value)

        _erf_ufunc = erf_ufunc
    return _erf_ufunc
