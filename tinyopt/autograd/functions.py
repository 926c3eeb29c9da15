"""PyTorch's function namespace over tensors: ``tinyopt.sqrt(x)``, ``tinyopt.max(x, 1)``, ...

Each function is the tensor method of the same name (so it records the graph
the same way), accepting numbers and arrays where PyTorch accepts them.
``tinyopt.max``/``min`` follow PyTorch's three forms: over all elements,
along ``dim`` (a ``(values, indices)`` pair), or elementwise against a second
tensor.
"""
from .. import backend
from .ops import linalg, reduce
from .tensor import Tensor


def _t(value):
    return value if isinstance(value, Tensor) else Tensor(value)


def sqrt(input): return _t(input).sqrt()
def rsqrt(input): return _t(input).rsqrt()
def exp(input): return _t(input).exp()
def log(input): return _t(input).log()
def sin(input): return _t(input).sin()
def cos(input): return _t(input).cos()
def tanh(input): return _t(input).tanh()
def sigmoid(input): return _t(input).sigmoid()
def relu(input): return _t(input).relu()
def abs(input): return _t(input).abs()
def sign(input): return _t(input).sign()
def neg(input): return _t(input).neg()
def square(input): return _t(input).square()
def pow(input, exponent): return _t(input).pow(exponent)
def add(input, other, *, alpha=1): return _t(input).add(other, alpha=alpha)
def sub(input, other, *, alpha=1): return _t(input).sub(other, alpha=alpha)
def mul(input, other): return _t(input).mul(other)
def div(input, other): return _t(input).div(other)
def matmul(input, other): return linalg.matmul(_t(input), _t(other))
def dot(input, other): return linalg.dot(_t(input), _t(other))
def maximum(input, other): return _t(input).maximum(other)
def minimum(input, other): return _t(input).minimum(other)
def lerp(input, end, weight): return _t(input).lerp(end, weight)
def isnan(input): return _t(input).isnan()
def isinf(input): return _t(input).isinf()
def isfinite(input): return _t(input).isfinite()
def numel(input): return _t(input).numel()
def flatten(input, start_dim=0, end_dim=-1): return _t(input).flatten(start_dim, end_dim)
def reshape(input, shape): return _t(input).reshape(shape)
def transpose(input, dim0, dim1): return _t(input).transpose(dim0, dim1)
def softmax(input, dim): return _t(input).softmax(dim)
def log_softmax(input, dim): return _t(input).log_softmax(dim)
def argmax(input, dim=None, keepdim=False): return _t(input).argmax(dim, keepdim)
def argmin(input, dim=None, keepdim=False): return _t(input).argmin(dim, keepdim)
def prod(input, dim=None, keepdim=False): return _t(input).prod(dim, keepdim)


def clamp(input, min=None, max=None):
    """Values clamped into [min, max]."""
    return _t(input).clamp(min, max)


clip = clamp


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (all elements when None), optionally in ``dtype``."""
    input = _t(input) if dtype is None else _t(input).to(dtype)
    return input.sum(dim, keepdim)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over ``dim`` (all elements when None), optionally in ``dtype``."""
    input = _t(input) if dtype is None else _t(input).to(dtype)
    return input.mean(dim, keepdim)


def max(input, dim=None, keepdim=False):
    """The maximum of all elements; along ``dim`` as ``(values, indices)``; or elementwise
    against a second tensor (``max(a, b)``)."""
    if isinstance(dim, Tensor):
        return _t(input).maximum(dim)
    return _t(input).max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    """The minimum: of all elements, along ``dim`` (with indices), or against a tensor."""
    if isinstance(dim, Tensor):
        return _t(input).minimum(dim)
    return _t(input).min(dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False):
    """The ``p``-norm (``"fro"``: 2-norm of all elements), as ``torch.norm``."""
    if p == "fro":
        p = 2
    if p == "nuc" or isinstance(p, str):
        raise ValueError(f"norm: p must be a number or 'fro', got {p!r}")
    return reduce.vector_norm(_t(input), p, dim, keepdim)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when |input - other| <= atol + rtol |other| everywhere (as a Python bool)."""
    return bool(backend.xp.allclose(_t(input).array, _t(other).array, rtol=rtol, atol=atol,
                                    equal_nan=equal_nan))


def equal(input, other):
    """True when both have the same shape and the same values."""
    a, b = _t(input), _t(other)
    return a.shape == b.shape and bool((a.array == b.array).all())


def is_tensor(obj):
    """True for a tinyopt ``Tensor``."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    """True for a floating-point tensor."""
    return backend.is_float(input.dtype)

