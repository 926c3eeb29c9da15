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

The thread setting (threads per BLAS/numba/PyTorch pool, idle OpenMP threads
asleep) is ``backend.set_threads(count)``, from ``tinyopt.threads``; ``fit``
applies the default once unless it was set (``TINYOPT_NUM_THREADS=N|off``).
"""
import os

import numpy

from . import threads as _threads

xp = numpy
"""The array module every op uses: ``numpy`` (default), ``cupy``, or the strict stand-in."""

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
    """``value`` as an array of the current backend (no copy when already one).

    An array that ``move_to`` brought to the host (``t.to("cpu")``) stays there.
    """
    if type(value) is _MovedToHost:
        value = value.view(numpy.ndarray)
        return value if dtype is None else value.astype(dtype, copy=False)
    return xp.asarray(value, dtype=dtype)


class _MovedToHost(numpy.ndarray):
    """A host array ``move_to`` made on purpose: ``asarray`` keeps it on the CPU, whatever the
    backend (without the mark, a Tensor built from it would go back to the device)."""


host_reads = 0
"""How many device arrays ``to_host`` copied to the host in this process (tests count the
host round trips of a training step with it)."""


def to_host(array):
    """A NumPy copy (or view) of a backend array, for printing, plotting and saving."""
    global host_reads
    if hasattr(array, "get"):  # cupy.ndarray (or the strict stand-in's array)
        host_reads += 1
        return array.get()
    return numpy.asarray(array)


def host_bool(condition):
    """A 0-d device condition as a Python bool: a deliberate device->host read (a GPU syncs).

    The one spelling of a host round trip that the strict backend allows
    besides ``to_host``: for the checks that must raise a clear error (a
    class index out of range) and cannot be decided on the device.
    """
    return bool(to_host(condition))


def to_device(array):
    """A backend array holding the values of a host (NumPy) array."""
    return xp.asarray(array)


class device:
    """Where a tensor's memory lives: ``device("cpu")`` (NumPy) or ``device("cuda[:N]")`` (CuPy).

    Compares equal to its string form, so ``t.device == "cpu"`` works as in PyTorch.
    """

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device must be a string such as 'cpu' or 'cuda:0', got "
                            f"{type!r}")
        name, _, number = type.partition(":")
        if name not in ("cpu", "cuda") or (number and not number.isdigit()):
            raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {type!r}")
        if number:
            if index is not None:
                raise ValueError(f"device {type!r} already names an index; got index={index}")
            index = int(number)
        if index is not None and (name == "cpu" and index != 0 or
                                  isinstance(index, bool) or not isinstance(index, int) or index < 0):
            raise ValueError(f"device index must be a non-negative int (0 for cpu), got {index!r}")
        self.type, self.index = name, index

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}'" + (
            "" if self.index is None else f", index={self.index}") + ")"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index or 0) == (
            other.type, other.index or 0)

    def __hash__(self):
        return hash((self.type, self.index or 0))


def device_of(array):
    """The ``device`` holding ``array`` (a CuPy array says which GPU)."""
    if hasattr(array, "device") and hasattr(array, "get"):  # cupy.ndarray
        return device("cuda", int(array.device.id))
    return device("cpu")


def cuda_is_available():
    """True when CuPy imports and sees at least one GPU."""
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # ImportError, or CUDA's own errors when no driver or device exists
        return False


def require_cuda():
    """CuPy, or one clear error unless CuPy and a GPU are both present.

    On the strict backend (the CPU stand-in) its namespace plays CuPy.
    """
    if xp.__name__ == "tinyopt.strict":
        return xp
    return _import_cupy()


def _import_cupy():
    try:
        import cupy
    except ImportError:
        raise RuntimeError("device 'cuda' needs CuPy, which is not installed: "
                           "pip install 'tinyopt[gpu]' (CuPy for CUDA 12; 'tinyopt[gpu-cuda13]' "
                           "for CUDA 13), on a machine with an NVIDIA GPU") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:
        raise RuntimeError(f"device 'cuda': CuPy is installed but finds no GPU ({error})") from None
    if count == 0:
        raise RuntimeError("device 'cuda': CuPy is installed but finds no GPU")
    return cupy


def move_to(array, target):
    """``array`` on ``target`` (a ``device``): the same array when already there."""
    if device_of(array) == target:
        return array
    if target.type == "cpu":
        return to_host(array).view(_MovedToHost)
    if xp.__name__ == "tinyopt.strict":  # the CPU stand-in plays the GPU
        return xp.asarray(array)
    cupy = require_cuda()
    if xp is numpy:  # every op reaches arrays through ``xp``: the GPU needs CuPy's
        set_backend("cupy")
    with cupy.cuda.Device(target.index or 0):
        return cupy.asarray(array)


class EmulatedDType:
    """A dtype NumPy lacks, stored in another one with its rounding applied (bfloat16)."""

    def __init__(self, name, storage):
        self.name, self.storage = name, numpy.dtype(storage)

    def __repr__(self):
        return f"tinyopt.{self.name}"


bfloat16 = EmulatedDType("bfloat16", "float32")
"""bfloat16, emulated: float32 arrays rounded to bfloat16's 8 significant bits."""

DTYPES = {"float16": numpy.float16, "float32": numpy.float32, "float64": numpy.float64,
          "half": numpy.float16, "float": numpy.float32, "double": numpy.float64,
          "int8": numpy.int8, "uint8": numpy.uint8, "int16": numpy.int16, "int32": numpy.int32,
          "int64": numpy.int64, "long": numpy.int64, "int": numpy.int32, "bool": numpy.bool_}


def as_dtype(value, argument="dtype"):
    """``value`` (a NumPy dtype or type, a name, or ``bfloat16``) as a dtype, or a clear error."""
    if isinstance(value, EmulatedDType):
        return value
    if isinstance(value, str):
        if value == "bfloat16":
            return bfloat16
        if value not in DTYPES:
            raise TypeError(f"{argument} {value!r} does not exist; allowed: "
                            f"{', '.join(sorted(DTYPES))}, bfloat16")
        return numpy.dtype(DTYPES[value])
    try:
        dtype = numpy.dtype(value)
    except TypeError:
        raise TypeError(f"{argument} must be a dtype such as tinyopt.float32, got {value!r}") from None
    if dtype.kind not in "fiub":
        raise TypeError(f"{argument} {dtype} is not supported (floating, integer or bool only)")
    return dtype


def set_backend(name):
    """Switch the array module: ``"numpy"``, ``"cupy"`` (needs CuPy and a GPU) or ``"strict"``.

    ``TINYOPT_BACKEND=<name>`` in the environment does the same when tinyopt is imported.

    ``"strict"`` is the CPU stand-in for CuPy (``tinyopt.strict_backend``):
    NumPy underneath, but any implicit device->host copy raises, so tests on
    the CPU catch the host round trips a GPU would pay for.

    Tensors and parameters already created keep their arrays (and device):
    move them with ``.to(...)`` or ``to_device``; an op mixing them with new
    ones raises. ``"cupy"`` without CuPy, or without a GPU, raises
    ``RuntimeError`` saying which is missing and how to install.
    """
    global xp, _generator
    if name == "numpy":
        xp = numpy
    elif name == "cupy":
        xp = _import_cupy()
    elif name == "strict":
        from .strict_backend import xp as strict_xp
        xp = strict_xp
    else:
        raise ValueError(f"backend must be 'numpy', 'cupy' or 'strict', got {name!r}")
    _generator = xp.random.default_rng(0)


def erf(x):
    """Elementwise error function on a backend array (exact to float rounding).

    NumPy has no ``erf``; a Numba-vectorised ``math.erf`` gives the libm value,
    compiled once on first use and cached on disk. CuPy has its own.
    """
    if xp is numpy:
        return numpy_erf(x)
    if hasattr(xp, "erf"):  # the strict stand-in
        return xp.erf(x)
    from cupyx.scipy.special import erf as cupy_erf
    return cupy_erf(x)


_erf_ufunc = None


def numpy_erf(x):
    """``erf`` of a NumPy array (the Numba-vectorised ``math.erf``)."""
    global _erf_ufunc
    if _erf_ufunc is None:
        import math
        import numba

        @numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)
        def erf_ufunc(value):
            return math.erf(value)

        _erf_ufunc = erf_ufunc
    return _erf_ufunc(x)


def _backend_from_environment():
    """``TINYOPT_BACKEND=cupy`` (or ``strict``, ``numpy``) picks the backend when tinyopt loads."""
    name = os.environ.get("TINYOPT_BACKEND")
    if not name:
        return
    try:
        set_backend(name)
    except ValueError:
        raise ValueError(f"TINYOPT_BACKEND must be 'numpy', 'cupy' or 'strict', got "
                         f"{name!r}") from None
    except RuntimeError as error:
        raise RuntimeError(f"TINYOPT_BACKEND={name}: {error}") from None


set_threads = _threads.set_threads
"""The thread setting, ``set_threads(count=None, torch=None)``: see ``tinyopt.threads``."""

_backend_from_environment()
