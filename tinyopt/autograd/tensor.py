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
from .. import backend
from .mode import is_grad_enabled


class Tensor:
    """An n-dimensional array that can record gradients.

    Args:
        data: a backend array (or anything ``backend.asarray`` accepts).
        requires_grad: record operations on this tensor so ``backward``
            fills ``.grad``. Only floating-point tensors can require grad.

    ``.data`` is the backend array; ``.grad`` is a backend array of the same
    shape once a backward pass has reached this tensor (gradients accumulate
    across ``backward`` calls until they are reset).
    """

    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected op
    __hash__ = object.__hash__  # __eq__ is elementwise, identity stays the hash

    def __init__(self, data, requires_grad=False):
        if isinstance(data, Tensor):
            data = data.data
        self.data = backend.asarray(data)
        self.grad = None
        self._parents = ()
        self._backward = None
        self._op = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- basics
    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place; only floating-point tensors may need grad."""
        if requires_grad and not backend.is_float(self.data.dtype):
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    @property
    def shape(self):
        """The shape as a tuple of ints."""
        return self.data.shape

    @property
    def dtype(self):
        """The dtype of the underlying array."""
        return self.data.dtype

    @property
    def ndim(self):
        """Number of dimensions."""
        return self.data.ndim

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
        return int(self.data.size)

    def dim(self):
        """Number of dimensions (PyTorch's method form of ``ndim``)."""
        return self.data.ndim

    def __len__(self):
        return len(self.data)

    def __bool__(self):
        # without this, Python would call any non-empty tensor true (via __len__), and
        # ``t in [u]`` would be true for every u of the same shape
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} elements "
                               "is ambiguous: compare arrays, e.g. (t.data == u.data).all(), "
                               "or use `is`")
        return bool(self.data)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.reshape(()).item()

    def numpy(self):
        """The values as a NumPy array (copied to the host on a GPU backend)."""
        if self.requires_grad:
            raise RuntimeError("numpy() on a tensor that requires grad: call .detach().numpy()")
        return backend.to_host(self.data)

    def tolist(self):
        """The values as (nested) Python lists."""
        return backend.to_host(self.data).tolist()

    def detach(self):
        """A tensor sharing this data, cut from the graph."""
        return Tensor(self.data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        body = str(backend.to_host(self.data)).replace("\n", "\n       ")
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
    def __lt__(self, other): return Tensor(self.data < _raw(other))
    def __le__(self, other): return Tensor(self.data <= _raw(other))
    def __gt__(self, other): return Tensor(self.data > _raw(other))
    def __ge__(self, other): return Tensor(self.data >= _raw(other))
    def __eq__(self, other): return Tensor(self.data == _raw(other))
    def __ne__(self, other): return Tensor(self.data != _raw(other))

    def pow(self, exponent): return _ew.pow(self, exponent)
    def matmul(self, other): return _la.matmul(self, other)
    def abs(self): return _ew.abs(self)
    def exp(self): return _ew.exp(self)
    def log(self): return _ew.log(self)
    def sqrt(self): return _ew.sqrt(self)
    def tanh(self): return _ew.tanh(self)
    def sin(self): return _ew.sin(self)
    def cos(self): return _ew.cos(self)
    def sigmoid(self): return _ew.sigmoid(self)
    def relu(self): return _ew.relu(self)

    def clip(self, min=None, max=None):
        """Clamp values into [min, max]; the gradient is 1 inside, 0 outside."""
        return _ew.clip(self, min, max)

    clamp = clip

    def to(self, dtype):
        """A copy cast to ``dtype``; the gradient is cast back in backward."""
        return _ew.cast(self, dtype)

    def float(self): return _ew.cast(self, "float32")
    def double(self): return _ew.cast(self, "float64")
    def half(self): return _ew.cast(self, "float16")
    def long(self): return Tensor(self.data.astype("int64"))

    # ------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Sum over ``dim`` (an int, a tuple, or None for all)."""
        return _rd.sum(self, _dim(dim, axis), _keep(keepdim, keepdims))

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Mean over ``dim`` (an int, a tuple, or None for all)."""
        return _rd.mean(self, _dim(dim, axis), _keep(keepdim, keepdims))

    def var(self, dim=None, keepdim=False, *, correction=1, unbiased=None, axis=None,
            keepdims=None):
        """Variance over ``dim`` with ``correction`` (1: unbiased, as PyTorch's default)."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        return _rd.var(self, _dim(dim, axis), _keep(keepdim, keepdims), correction)

    def std(self, dim=None, keepdim=False, *, correction=1, unbiased=None, axis=None,
            keepdims=None):
        """Standard deviation: the square root of ``var`` with the same arguments.

        Where all values are equal the gradient is 0 (PyTorch's choice), not nan."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        return _rd.std(self, _dim(dim, axis), _keep(keepdim, keepdims), correction)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The maximum; with ``dim``, a ``(values, indices)`` pair as in PyTorch."""
        return _rd.extreme(self, _dim(dim, axis), _keep(keepdim, keepdims), "max")

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The minimum; with ``dim``, a ``(values, indices)`` pair as in PyTorch."""
        return _rd.extreme(self, _dim(dim, axis), _keep(keepdim, keepdims), "min")

    def argmax(self, dim=None, keepdim=False, *, axis=None):
        """Indices of the maxima along ``dim`` (flattened when None); no gradient."""
        return _rd.argextreme(self, _dim(dim, axis), keepdim, "max")

    def argmin(self, dim=None, keepdim=False, *, axis=None):
        """Indices of the minima along ``dim`` (flattened when None); no gradient."""
        return _rd.argextreme(self, _dim(dim, axis), keepdim, "min")

    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(x))) along ``dim``, computed without overflow."""
        return _rd.logsumexp(self, dim, keepdim)

    def softmax(self, dim):
        """Softmax along ``dim`` (shifted by the maximum for stability)."""
        return _rd.softmax(self, dim)

    def log_softmax(self, dim):
        """Log of the softmax along ``dim``, computed stably."""
        return _rd.log_softmax(self, dim)

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape):
        """The same values in a new shape (one entry may be -1)."""
        return _sh.reshape(self, _shape_args(shape))

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge dimensions ``start_dim..end_dim`` into one."""
        return _sh.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1):
        """Swap two dimensions."""
        return _sh.transpose(self, dim0, dim1)

    def permute(self, *dims):
        """Reorder all dimensions."""
        return _sh.permute(self, _shape_args(dims))

    def squeeze(self, dim=None):
        """Remove size-1 dimensions (only ``dim`` when given)."""
        return _sh.squeeze(self, dim)

    def unsqueeze(self, dim):
        """Insert a size-1 dimension at ``dim``."""
        return _sh.unsqueeze(self, dim)

    def expand(self, *shape):
        """Broadcast to ``shape`` without copying (-1 keeps a dimension)."""
        return _sh.expand(self, _shape_args(shape))

    def __getitem__(self, index):
        return _sh.getitem(self, index)

    def gather(self, dim, index):
        """Pick ``self[..., index[i, j], ...]`` along ``dim`` (PyTorch's gather)."""
        return _sh.gather(self, dim, index)


def tensor(data, dtype=None, requires_grad=False):
    """Create a tensor from Python numbers, lists or arrays.

    Python floats become the default float dtype (float32 unless changed with
    ``backend.set_default_dtype``); arrays keep their dtype unless ``dtype`` is given.
    """
    if isinstance(data, Tensor):
        data = data.data
    if dtype is None and not hasattr(data, "dtype"):
        probe = backend.xp.asarray(data)
        dtype = backend.default_dtype() if backend.is_float(probe.dtype) else probe.dtype
    return Tensor(backend.xp.array(data, dtype=dtype), requires_grad=requires_grad)


def make_result(data, parents, backward, op):
    """Wrap an op's output array; record ``backward`` when a parent needs grad.

    ``backward(grad)`` returns one gradient Tensor (or None) per parent.
    """
    out = Tensor.__new__(Tensor)
    out.data = backend.xp.asarray(data)  # full reductions give NumPy scalars; keep arrays
    out.grad = None
    out._op = op
    if is_grad_enabled() and any(p.requires_grad for p in parents):
        out.requires_grad = True
        out._parents = parents
        out._backward = backward
    else:
        out.requires_grad = False
        out._parents = ()
        out._backward = None
    return out


def _raw(value):
    return value.data if isinstance(value, Tensor) else value


def _dim(dim, axis):
    if axis is not None:
        if dim is not None:
            raise TypeError("give either dim or its alias axis, not both")
        return axis
    return dim


def _keep(keepdim, keepdims):
    return keepdim if keepdims is None else keepdims


def _shape_args(shape):
    """Accept both ``reshape(2, 3)`` and ``reshape((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


# The op modules import Tensor, so they are bound after the class exists.
from .ops import elementwise as _ew, linalg as _la, reduce as _rd, shape as _sh  # noqa: E402
