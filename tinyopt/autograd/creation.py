"""Making tensors with PyTorch's factory functions: ``zeros``, ``randn``, ``arange``, ``*_like``.

Sizes may be given as ``zeros(2, 3)`` or ``zeros((2, 3))``. Floating-point
results get the default dtype (float32 unless ``set_default_dtype``
changed it), integer ranges int64, as in PyTorch. Random draws come from
tinyopt's one generator, so ``tinyopt.manual_seed`` makes them repeatable.
``device="cuda"`` puts the result on the GPU (CuPy), or says why it can't.
"""
import numbers

from .. import backend
from .tensor import Tensor


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"size must be non-negative ints, got {size!r}")
    return tuple(int(n) for n in size)


def _float_dtype(dtype):
    return backend.default_dtype() if dtype is None else backend.as_dtype(dtype)


def _make(array, dtype, device, requires_grad):
    """A leaf from a host-or-backend ``array``, in ``dtype`` and on ``device``."""
    if isinstance(dtype, backend.EmulatedDType):
        from .ops.elementwise import round_to_bfloat16
        array = round_to_bfloat16(array)
    elif dtype is not None:
        array = array.astype(dtype, copy=False)
    tensor = Tensor(array)
    if device is not None:
        tensor = tensor.to(device)
    return tensor.requires_grad_(requires_grad) if requires_grad else tensor


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros of ``size``."""
    dtype = _float_dtype(dtype)
    return _make(backend.xp.zeros(_size(size), dtype=_storage(dtype)), dtype, device,
                 requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones of ``size``."""
    dtype = _float_dtype(dtype)
    return _make(backend.xp.ones(_size(size), dtype=_storage(dtype)), dtype, device,
                 requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the value, as in torch)."""
    if dtype is None and isinstance(fill_value, (bool, numbers.Integral)):
        dtype = "bool" if isinstance(fill_value, bool) else "int64"
    dtype = _float_dtype(dtype)
    return _make(backend.xp.full(_size((size,)), fill_value, dtype=_storage(dtype)), dtype, device,
                 requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` (filled with zeros here: NumPy's uninitialised memory helps no one)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The n x m identity matrix (m defaults to n)."""
    dtype = _float_dtype(dtype)
    return _make(backend.xp.eye(_size((n,))[0], None if m is None else _size((m,))[0],
                                dtype=_storage(dtype)), dtype, device, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` (0 if only one bound) up to, not including, ``end``."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        integral = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = "int64" if integral else None
    dtype = _float_dtype(dtype)
    return _make(backend.xp.arange(start, end, step, dtype=_storage(dtype)), dtype, device,
                 requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    dtype = _float_dtype(dtype)
    return _make(backend.xp.linspace(start, end, int(steps), dtype=_storage(dtype)), dtype, device,
                 requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False):
    """Uniform draws from [0, 1)."""
    return _make(backend.rng().random(_size(size)), _float_dtype(dtype), device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False):
    """Standard normal draws."""
    return _make(backend.rng().standard_normal(_size(size)), _float_dtype(dtype), device,
                 requires_grad)


def randint(low, high=None, size=None, *, dtype=None, device=None):
    """Integers drawn uniformly from [low, high) (``randint(high, size)`` starts at 0)."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint needs a size, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if not high > low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    dtype = backend.as_dtype("int64" if dtype is None else dtype)
    return _make(backend.rng().integers(low, high, _size((size,))), dtype, device, False)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False):
    """Zeros of ``input``'s shape, dtype and device (unless given)."""
    return zeros(input.shape, **_like(input, dtype, device), requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False):
    """Ones of ``input``'s shape, dtype and device."""
    return ones(input.shape, **_like(input, dtype, device), requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    """``fill_value`` in ``input``'s shape, dtype and device."""
    return full(input.shape, fill_value, **_like(input, dtype, device),
                requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False):
    """A tensor of ``input``'s shape, dtype and device (zeros; see ``empty``)."""
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False):
    """Uniform [0, 1) draws in ``input``'s shape, dtype and device."""
    return rand(input.shape, **_like(input, dtype, device), requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False):
    """Standard normal draws in ``input``'s shape, dtype and device."""
    return randn(input.shape, **_like(input, dtype, device), requires_grad=requires_grad)


def from_numpy(array):
    """A tensor sharing ``array``'s memory (a NumPy array; its dtype is kept)."""
    import numpy
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor(array)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing memory when it already is an array of that dtype."""
    if isinstance(data, Tensor):
        out = data
    elif hasattr(data, "dtype") and hasattr(data, "shape"):
        out = Tensor(data)
    else:
        from .tensor import tensor
        out = tensor(data)
    return out.to(dtype=dtype, device=device)


def _like(input, dtype, device):
    if not isinstance(input, Tensor):
        raise TypeError(f"expected a Tensor as input, got {type(input).__name__}")
    return {"dtype": input.dtype if dtype is None else dtype,
            "device": input.device if device is None else device}


def _storage(dtype):
    return dtype.storage if isinstance(dtype, backend.EmulatedDType) else dtype
