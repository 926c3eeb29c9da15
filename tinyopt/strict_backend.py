"""The strict backend: a CPU stand-in for CuPy whose arrays refuse every hidden host round trip.

A CPU-only CI cannot run CuPy, yet the bugs that hurt on a GPU are visible
without one: a ``numpy.*`` call on a device array, a ``float(x)``,
``x.item()``, ``if x:`` or ``for v in x`` inside a training step, each a copy
from the device to the host (and a stall until the GPU is done). GPAW's
trick, kept here: ``set_backend("strict")`` makes ``backend.xp`` this
module's namespace, a NumPy look-alike over ``StrictArray``, a distinct array
type wrapping a NumPy array that

- computes as NumPy does (every ``xp.*`` function and operator unwraps,
  calls NumPy, and wraps the result; reductions give 0-d arrays, as CuPy's);
- raises ``HostTransferError`` (a ``TypeError``, as CuPy's own refusal) on
  ``numpy.asarray(x)`` and any NumPy function given it (``__array__``,
  ``__array_function__``), on ``float``/``int``/``bool``, ``.item()``,
  ``.tolist()`` and iteration; NumPy's ufuncs (``numpy.exp(x)``) refuse it
  with their own ``TypeError`` (``__array_ufunc__ = None``);
- refuses to mix with NumPy arrays (``strict + numpy_array``), as CuPy does;
  ``xp.asarray(numpy_array)``, ``x[...] = numpy_array`` and ``x[:] = ...`` are
  the allowed uploads (CuPy allows those too);
- refuses ``xp.where`` on a condition that is not a device array (a Python
  or NumPy bool), which CuPy cannot take either.

The one way back to the host is the explicit one: ``backend.to_host(x)``
(``x.get()``, ``xp.asnumpy(x)``), which printing, plotting, saving and
``Tensor.item()`` use. The arrays report ``device("cuda", 0)``, so the code
paths that move tensors between devices run too.

It is a test tool, not a faster NumPy: every call goes through a wrapper.
"""
import functools
import types

import numpy


class HostTransferError(TypeError):
    """A device array was about to be copied to the host implicitly."""


_HINT = ("on the strict backend (a stand-in for CuPy) this is a hidden device->host copy; "
         "use backend.to_host(x) where a host copy is really meant")


def _refuse(what):
    raise HostTransferError(f"{what}: {_HINT}")


class _Device:
    id = 0

    def __repr__(self):
        return "<strict device 0>"


class StrictArray:
    """A NumPy array held "on the device": arithmetic works, implicit host copies raise."""

    __slots__ = ("_data", "__weakref__")
    __array_ufunc__ = None  # NumPy's ufuncs refuse it (TypeError); numpy_scalar * x defers to x
    __hash__ = None
    device = _Device()

    def __init__(self, data):
        self._data = data

    # ------------------------------------------------------------ the refusals
    def __array__(self, dtype=None, copy=None):
        _refuse("numpy.asarray(device array)")

    def __array_function__(self, func, types, args, kwargs):
        _refuse(f"numpy.{func.__name__}(device array)")

    def __float__(self):
        _refuse("float(device array)")

    def __int__(self):
        _refuse("int(device array)")

    def __index__(self):
        _refuse("a device array used as an index number")

    def __complex__(self):
        _refuse("complex(device array)")

    def __bool__(self):
        _refuse("bool(device array) (an 'if' or 'and' on a device value)")

    def __iter__(self):
        _refuse("iterating over a device array")

    def item(self, *args):
        _refuse("device_array.item()")

    def tolist(self):
        _refuse("device_array.tolist()")

    # ------------------------------------------------------------- the host
    def get(self):
        """A NumPy copy (the explicit transfer, as ``cupy.ndarray.get``)."""
        return self._data.copy()

    def __repr__(self):
        return f"strict({self._data!r})"

    # ------------------------------------------------------------- metadata
    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)
    itemsize = property(lambda self: self._data.itemsize)
    nbytes = property(lambda self: self._data.nbytes)
    strides = property(lambda self: self._data.strides)
    flags = property(lambda self: self._data.flags)
    T = property(lambda self: StrictArray(self._data.T))
    base = property(lambda self: None if self._data.base is None else _wrap(self._data.base))

    def __len__(self):
        return len(self._data)

    def __getitem__(self, key):
        return _wrap(self._data[_unwrap(key, allow_host=True)])

    def __setitem__(self, key, value):
        whole = key is Ellipsis or (isinstance(key, slice) and key == slice(None))
        self._data[_unwrap(key, allow_host=True)] = _unwrap(value, allow_host=whole)

    def __getattr__(self, name):  # methods: reshape, sum, astype, ...
        attribute = getattr(self._data, name)
        if not callable(attribute):
            raise AttributeError(f"StrictArray has no attribute {name!r}")
        return _wrapped(attribute)

    def __deepcopy__(self, memo):
        return StrictArray(self._data.copy())

    def __reduce__(self):
        return StrictArray, (self._data,)


def _operator(name):
    def method(self, *others):
        return _wrap(getattr(self._data, name)(*(_unwrap(o) for o in others)))
    method.__name__ = name
    return method


def _in_place(name):
    def method(self, other):
        getattr(self._data, name)(_unwrap(other))
        return self
    method.__name__ = name
    return method


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
              "xor", "lshift", "rshift"):
    setattr(StrictArray, f"__{_name}__", _operator(f"__{_name}__"))
    setattr(StrictArray, f"__r{_name}__", _operator(f"__r{_name}__"))
    setattr(StrictArray, f"__i{_name}__", _in_place(f"__i{_name}__"))
for _name in ("lt", "le", "gt", "ge", "eq", "ne", "neg", "pos", "abs", "invert", "divmod"):
    setattr(StrictArray, f"__{_name}__", _operator(f"__{_name}__"))


def _unwrap(value, allow_host=False):
    """NumPy data inside ``value``; a NumPy array (not 0-d) is refused unless ``allow_host``."""
    if isinstance(value, StrictArray):
        return value._data
    if isinstance(value, numpy.ndarray) and value.ndim and not allow_host:
        raise TypeError("a NumPy (host) array mixed with a device array: move it first with "
                        "backend.to_device(...) (CuPy refuses this too)")
    if isinstance(value, (tuple, list)):
        return type(value)(_unwrap(v, allow_host) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v, allow_host) for k, v in value.items()}
    return value


def _wrap(value):
    """``value`` with NumPy arrays (and scalars from reductions) made device arrays."""
    if isinstance(value, (numpy.ndarray, numpy.generic)) and not isinstance(value, numpy.dtype):
        return StrictArray(numpy.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, numpy.random.Generator):
        return _Namespace(value, "Generator")
    return value


def _wrapped(function, allow_host=False):
    @functools.wraps(function)
    def call(*args, **kwargs):
        return _wrap(function(*_unwrap(args, allow_host), **_unwrap(kwargs, allow_host)))
    return call


_UPLOADS = frozenset({"asarray", "array", "asanyarray"})
"""Functions that may take host data: the explicit host -> device copies."""


class _Namespace:
    """NumPy (or one of its submodules, or a random Generator) seen through the wrappers."""

    def __init__(self, target, name):
        self._target, self.__name__ = target, name

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        if name == "ndarray":
            return StrictArray
        if isinstance(attribute, types.ModuleType):
            return _Namespace(attribute, f"{self.__name__}.{name}")
        if isinstance(attribute, (type, numpy.dtype)) or not callable(attribute):
            return attribute  # dtypes (xp.float32), constants (xp.pi, xp.newaxis)
        if isinstance(attribute, numpy.ufunc):
            return _Ufunc(attribute)
        return _wrapped(attribute, allow_host=name in _UPLOADS)

    def __repr__(self):
        return f"<strict backend namespace {self.__name__}>"


class _Ufunc:
    """A NumPy ufunc over device arrays, with its methods (``xp.add.at``, ``.reduce``)."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        return _wrapped(self._ufunc)(*args, **kwargs)

    def __getattr__(self, name):
        attribute = getattr(self._ufunc, name)
        return _wrapped(attribute) if callable(attribute) else attribute


class _StrictModule(_Namespace):
    """``backend.xp`` on the strict backend: NumPy's functions, plus CuPy's ``asnumpy``."""

    def asnumpy(self, array):
        """The explicit device -> host copy (``cupy.asnumpy``)."""
        return array.get() if isinstance(array, StrictArray) else numpy.asarray(array)

    def where(self, condition, *values):
        """``numpy.where`` whose condition must be a device array, as for ``cupy.where`` (which
        calls ``condition.astype``)."""
        if not isinstance(condition, StrictArray):
            raise TypeError(f"where: the condition must be a device array (CuPy's where takes "
                            f"no {type(condition).__name__}); use xp.asarray(condition)")
        return _wrapped(numpy.where)(condition, *values)

    def erf(self, array):
        """Elementwise error function (on CuPy it is ``cupyx.scipy.special.erf``)."""
        from . import backend
        return StrictArray(backend.numpy_erf(array._data))


xp = _StrictModule(numpy, "tinyopt.strict")
"""The namespace ``backend.set_backend("strict")`` installs as ``backend.xp``."""
