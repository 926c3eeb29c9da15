"""The ``Tensor``: a backend array plus the record of how it was computed.

A tensor produced by an operation keeps its parents and a small ``backward``
function that maps the gradient of the output to gradients of the parents.
Those backward functions are written with tensor operations themselves, so
the backward pass is a graph too and can be differentiated again
(``autograd.grad(..., create_graph=True)``). Under ``no_grad`` nothing is
recorded and an operation costs little more than the array call.

Names and arguments follow PyTorch (``dim``, ``keepdim``, ``transpose(d0, d1)``);
NumPy's ``axis`` and ``keepdims`` are accepted as aliases.
"""
import numbers

import numpy

from .. import backend
from .conversion import ConversionMethods
from .inplace import InplaceMethods
from .tensor_methods import ReductionMethods, ShapeMethods, _dim, _keep
from .mode import is_grad_enabled


class Tensor(ReductionMethods, ShapeMethods, InplaceMethods, ConversionMethods):
    """An n-dimensional array that can record gradients (PyTorch's ``torch.Tensor``).

    Args:
        data: a backend array (or anything ``backend.asarray`` accepts).
        requires_grad: record operations on this tensor so ``backward``
            fills ``.grad``. Only floating-point tensors can require grad.

    Three views of the values, as in PyTorch:

    - ``t.data``: a Tensor sharing ``t``'s memory, cut from the graph, with a
      version counter of its own (writes through it are not seen by
      autograd, as in PyTorch). ``p.data = other`` rebinds ``p``'s values.
    - ``t.grad``: a Tensor (or None) holding the accumulated gradient;
      gradients accumulate across ``backward`` calls until ``zero_grad``.
    - ``t.array``: the raw backend array (``numpy.ndarray`` or
      ``cupy.ndarray``), for NumPy-style code and tinyopt's internals
      (optimizers, kernels). ``t.numpy()`` gives the same memory on the CPU.

    Every in-place write (``add_``, ``mul_``, ``t[i] = v``, an optimizer's
    ``step()``) bumps ``t._version``; ``backward`` refuses a saved tensor
    whose version changed since it was saved (PyTorch's error), so no gradient
    is ever computed from overwritten values.
    """

    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected op
    __hash__ = object.__hash__  # __eq__ is elementwise, identity stays the hash

    def __init__(self, data, requires_grad=False):
        if isinstance(data, Tensor):
            data = data.array
        self.array = backend.asarray(data)
        self._grad = None
        self._parents = ()
        self._backward = None
        self._op = None
        self._saved = ()
        self._output_version = None
        self._version_box = [0]
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- basics
    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place; only floating-point tensors may need grad."""
        if requires_grad and not backend.is_float(self.array.dtype):
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.array.dtype}")
        if not requires_grad and not self.is_leaf:
            raise RuntimeError("you can only change requires_grad flags of leaf variables; "
                               "use .detach() for a tensor cut from the graph")
        self.requires_grad = bool(requires_grad)
        return self

    @property
    def data(self):
        """A Tensor sharing this tensor's memory, detached, with its own version counter."""
        out = Tensor.__new__(Tensor)
        _init_plain(out, self.array)
        return out

    @data.setter
    def data(self, value):
        self.array = value.array if isinstance(value, Tensor) else backend.asarray(value)

    @property
    def grad(self):
        """The accumulated gradient: a Tensor of this tensor's shape and dtype, or None.

        Assign a Tensor of the same shape and dtype (as in PyTorch), or — for
        NumPy-style code — an array, which is converted to this tensor's dtype."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                array = backend.asarray(value)
                if not numpy.can_cast(array.dtype, self.dtype, casting="same_kind"):
                    raise RuntimeError(f"assigned grad has data of a different type: "
                                       f"{array.dtype} for a tensor of dtype {self.dtype}")
                value = Tensor(array.astype(self.dtype, copy=False))
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: "
                                   f"{tuple(value.shape)} for a tensor of shape {tuple(self.shape)}")
            if value.dtype != self.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: "
                                   f"{value.dtype} for a tensor of dtype {self.dtype}")
        self._grad = value

    @property
    def _version(self):
        """How many in-place writes this tensor has seen (PyTorch's ``t._version``)."""
        return int(self._version_box[0])

    @property
    def grad_fn(self):
        """The name of the op that made this tensor (None for a leaf), as a hint for printing."""
        return self._op if self._backward is not None else None

    @property
    def shape(self):
        """The shape as a tuple of ints."""
        return self.array.shape

    @property
    def dtype(self):
        """The dtype of the underlying array."""
        return self.array.dtype

    @property
    def ndim(self):
        """Number of dimensions."""
        return self.array.ndim

    @property
    def is_leaf(self):
        """True for tensors not produced by a recorded operation."""
        return self._backward is None

    @property
    def T(self):
        """The transpose of a 2-D tensor (all axes reversed otherwise)."""
        return self.permute(*reversed(range(self.ndim)))

    def size(self, dim=None):
        """The shape, or its length along ``dim``."""
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        """Number of elements."""
        return int(self.array.size)

    def dim(self):
        """Number of dimensions (PyTorch's method form of ``ndim``)."""
        return self.array.ndim

    def element_size(self):
        """Bytes per element."""
        return self.array.itemsize

    def __len__(self):
        return len(self.array)

    def __bool__(self):
        # without this, Python would call any non-empty tensor true (via __len__), and
        # ``t in [u]`` would be true for every u of the same shape
        if self.array.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.array.size} elements "
                               "is ambiguous: use (t == u).all(), t.any(), or `is`")
        return backend.host_bool(self.array)  # the user asked: a deliberate host read

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        # NumPy-style code: np.sqrt(p.grad), np.asarray(t); a GPU array comes to the host
        array = backend.to_host(self.array)
        return array if dtype is None else array.astype(dtype, copy=False)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return backend.to_host(self.array.reshape(())).item()  # a GPU copies to the host here

    def numpy(self):
        """The values as a NumPy array: the same memory on the CPU (copied from a GPU)."""
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return backend.to_host(self.array)

    def tolist(self):
        """The values as (nested) Python lists."""
        return backend.to_host(self.array).tolist()

    def detach(self):
        """A tensor sharing this data and version counter, cut from the graph."""
        out = Tensor.__new__(Tensor)
        _init_plain(out, self.array)
        out._version_box = self._version_box
        return out

    def clone(self):
        """A copy with its own memory; the gradient flows back to this tensor."""
        return _ew.clone(self)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        body = str(backend.to_host(self.array)).replace("\n", "\n       ")
        return f"tensor({body}, dtype={self.dtype}{grad})"

    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        Args:
            gradient: d(loss)/d(self) for a non-scalar tensor (same shape);
                may be omitted for a one-element tensor.
            retain_graph: keep the graph so ``backward`` can run through it again.
        """
        from .engine import backward
        backward(self, gradient, retain_graph=retain_graph)

    # ------------------------------------------------------------- arithmetic
    def __add__(self, other): return _ew.add(self, other)
    def __radd__(self, other): return _ew.add(other, self)
    def __sub__(self, other): return _ew.sub(self, other)
    def __rsub__(self, other): return _ew.sub(other, self)
    def __mul__(self, other): return _ew.mul(self, other)
    def __rmul__(self, other): return _ew.mul(other, self)
    def __truediv__(self, other): return _ew.div(self, other)
    def __rtruediv__(self, other): return _ew.div(other, self)
    def __pow__(self, other): return _ew.pow(self, other)
    def __rpow__(self, other): return _ew.pow(other, self)
    def __neg__(self): return _ew.neg(self)
    def __abs__(self): return _ew.abs(self)
    def __matmul__(self, other): return _la.matmul(self, other)
    def __rmatmul__(self, other): return _la.matmul(other, self)

    # comparisons give boolean tensors outside the graph
    def __lt__(self, other): return Tensor(self.array < _raw(other))
    def __le__(self, other): return Tensor(self.array <= _raw(other))
    def __gt__(self, other): return Tensor(self.array > _raw(other))
    def __ge__(self, other): return Tensor(self.array >= _raw(other))
    def __eq__(self, other): return Tensor(self.array == _raw(other))
    def __ne__(self, other): return Tensor(self.array != _raw(other))
    def __invert__(self): return Tensor(~self.array)
    def __and__(self, other): return Tensor(self.array & _raw(other))
    def __or__(self, other): return Tensor(self.array | _raw(other))

    def add(self, other, *, alpha=1):
        """``self + alpha * other`` (PyTorch's ``add``)."""
        return _ew.add(self, _scaled(other, alpha))

    def sub(self, other, *, alpha=1):
        """``self - alpha * other``."""
        return _ew.sub(self, _scaled(other, alpha))

    def mul(self, other): return _ew.mul(self, other)
    def div(self, other): return _ew.div(self, other)
    def pow(self, exponent): return _ew.pow(self, exponent)
    def matmul(self, other): return _la.matmul(self, other)
    def dot(self, other): return _la.dot(self, other)
    def neg(self): return _ew.neg(self)
    def abs(self): return _ew.abs(self)
    def sign(self): return _ew.sign(self)
    def square(self): return _ew.mul(self, self)
    def exp(self): return _ew.exp(self)
    def log(self): return _ew.log(self)
    def sqrt(self): return _ew.sqrt(self)
    def rsqrt(self): return _ew.div(1.0, _ew.sqrt(self))
    def tanh(self): return _ew.tanh(self)
    def sin(self): return _ew.sin(self)
    def cos(self): return _ew.cos(self)
    def sigmoid(self): return _ew.sigmoid(self)
    def relu(self): return _ew.relu(self)
    def maximum(self, other): return _ew.maximum(self, other)
    def minimum(self, other): return _ew.minimum(self, other)
    def lerp(self, end, weight): return _ew.add(self, _ew.mul(weight, _ew.sub(end, self)))

    def isnan(self): return Tensor(backend.xp.isnan(self.array))
    def isinf(self): return Tensor(backend.xp.isinf(self.array))
    def isfinite(self): return Tensor(backend.xp.isfinite(self.array))
    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
        """True where any element along ``dim`` (all elements when None) is nonzero."""
        return Tensor(self.array.any(axis=_dim(dim, axis), keepdims=_keep(keepdim, keepdims),
                                     out=out))

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
        """True where every element along ``dim`` (all elements when None) is nonzero."""
        return Tensor(self.array.all(axis=_dim(dim, axis), keepdims=_keep(keepdim, keepdims),
                                     out=out))

    def clip(self, min=None, max=None):
        """Clamp values into [min, max]; the gradient is 1 inside, 0 outside."""
        return _ew.clip(self, min, max)

    clamp = clip


def _init_plain(out, array):
    """Fill the fields of a fresh leaf that needs no grad (faster than ``__init__``)."""
    out.array = array
    out._grad = None
    out._parents = ()
    out._backward = None
    out._op = None
    out._saved = ()
    out._output_version = None
    out._version_box = [0]
    out.requires_grad = False


def _scaled(other, alpha):
    """``alpha * other``, with ``alpha`` a real number (PyTorch's ``alpha=``)."""
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Number):
        raise TypeError(f"alpha must be a number, got {type(alpha).__name__}: "
                        "a tensor-valued scale goes into the operand (add(other * s))")
    return other if alpha == 1 else _ew.mul(other, alpha)


def tensor(data, dtype=None, requires_grad=False):
    """Create a tensor from Python numbers, lists or arrays.

    Python floats become the default float dtype (float32 unless changed with
    ``backend.set_default_dtype``); arrays keep their dtype unless ``dtype`` is given.
    """
    if isinstance(data, Tensor):
        data = data.array
    if dtype is None and not hasattr(data, "dtype"):
        probe = backend.xp.asarray(data)
        dtype = backend.default_dtype() if backend.is_float(probe.dtype) else probe.dtype
    return Tensor(backend.xp.array(data, dtype=dtype), requires_grad=requires_grad)


def make_result(data, parents, backward, op, saved=None, saves_output=False):
    """Wrap an op's output array; record ``backward`` when a parent needs grad.

    ``backward(grad)`` returns one gradient Tensor (or None) per parent.
    ``saved`` are the tensors whose values ``backward`` reads (the parents
    unless given; ``()`` for ops such as add or reshape that read none), and
    ``saves_output`` says it reads the output (exp, sigmoid, ...): their
    version counters are noted now and checked when ``backward`` runs.
    """
    out = Tensor.__new__(Tensor)
    out.array = backend.asarray(data)  # full reductions give NumPy scalars; keep arrays
    out._grad = None
    out._op = op
    out._version_box = [0]
    if is_grad_enabled() and any(p.requires_grad for p in parents):
        out.requires_grad = True
        out._parents = parents
        out._backward = backward
        out._saved = tuple((t, t._version_box[0]) for t in (parents if saved is None else saved))
        out._output_version = 0 if saves_output else None
    else:
        out.requires_grad = False
        out._parents = ()
        out._backward = None
        out._saved = ()
        out._output_version = None
    return out


def backward_operands(*tensors):
    """``(plain, values)``: what a backward formula computes with.

    In a plain backward the raw arrays (no graph is recorded, so wrapping
    every intermediate in a Tensor would be pure cost); under
    ``create_graph=True`` the tensors themselves, so that the formula is
    recorded and differentiates again. A formula written with operators and
    the methods both kinds share (``@``, ``*``, ``.T``, ``.reshape``,
    ``.sum(axis=, keepdims=)``) serves both; ``as_gradients`` wraps its results.
    """
    if is_grad_enabled():
        return False, tensors
    return True, tuple(None if t is None else t.array for t in tensors)


def as_gradients(plain, values):
    """The results of a ``backward_operands`` formula as gradient Tensors (None stays None)."""
    return tuple(Tensor(v) if plain and v is not None else v for v in values)


def _raw(value):
    return value.array if isinstance(value, Tensor) else value





# The op modules import Tensor, so they are bound after the class exists.
from .ops import elementwise as _ew, linalg as _la, reduce as _rd, shape as _sh  # noqa: E402
from . import tensor_methods  # noqa: E402

tensor_methods._rd, tensor_methods._sh = _rd, _sh
