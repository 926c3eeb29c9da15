"""Elementwise operations: arithmetic, unary math, activations, clip, where, cast.

Each gradient is written as tensor operations on the saved inputs and output,
so it can be differentiated again. For ``y = f(x)``:

    add/sub: dy/da = 1, dy/db = +-1      mul: b, a       div: 1/b, -y/b
    pow:     b a^(b-1), y log a          exp: y          log: 1/x
    sqrt:    1/(2y)    tanh: 1 - y^2     sigmoid: y(1 - y)
    sin:     cos x     cos: -sin x
    relu:    [x > 0]   abs: sign(x)      erf: 2/sqrt(pi) exp(-x^2)
"""
import math

from ... import backend
from ..tensor import Tensor, make_result
from .broadcast import broadcast_apply, operand, unbroadcast


def _binary(op, a, b, forward, grad_a, grad_b):
    """Apply ``forward`` to two operands; ``grad_x(g, A, B, out)`` give the gradients."""
    a_data, a_tensor = operand(a)
    b_data, b_tensor = operand(b)
    data = broadcast_apply(op, forward, a_data, b_data)
    A = a_data if a_tensor is None else a_tensor
    B = b_data if b_tensor is None else b_tensor
    pairs = [(t, rule) for t, rule in ((a_tensor, grad_a), (b_tensor, grad_b)) if t is not None]
    out = make_result(data, tuple(t for t, _ in pairs), None, op)
    if out.requires_grad:
        def backward(g):
            return tuple(unbroadcast(rule(g, A, B, out), t.shape) if t.requires_grad else None
                         for t, rule in pairs)
        out._backward = backward
    return out


def _unary(op, a, data, grad):
    """Wrap ``data = f(a)``; ``grad(g, a, out)`` gives the input gradient."""
    out = make_result(data, (a,), None, op)
    if out.requires_grad:
        out._backward = lambda g: (grad(g, a, out),)
    return out


def add(a, b):
    """a + b with broadcasting."""
    return _binary("add", a, b, backend.xp.add, lambda g, A, B, y: g, lambda g, A, B, y: g)


def sub(a, b):
    """a - b with broadcasting."""
    return _binary("sub", a, b, backend.xp.subtract, lambda g, A, B, y: g, lambda g, A, B, y: -g)


def mul(a, b):
    """a * b with broadcasting."""
    return _binary("mul", a, b, backend.xp.multiply,
                   lambda g, A, B, y: g * B, lambda g, A, B, y: g * A)


def div(a, b):
    """a / b with broadcasting."""
    return _binary("div", a, b, backend.xp.true_divide,
                   lambda g, A, B, y: g / B, lambda g, A, B, y: -g * y / B)


def pow(a, b):
    """a ** b; either side may be a Python number."""
    return _binary("pow", a, b, backend.xp.power,
                   lambda g, A, B, y: g * B * A ** (B - 1),
                   lambda g, A, B, y: g * y * _log_of(A))


def _log_of(value):
    return value.log() if isinstance(value, Tensor) else math.log(value)


def neg(a):
    """-a."""
    return _unary("neg", a, -a.data, lambda g, x, y: -g)


def abs(a):
    """|a|; the gradient at 0 is 0, as in PyTorch."""
    return _unary("abs", a, backend.xp.abs(a.data), lambda g, x, y: g * backend.xp.sign(x.data))


def exp(a):
    """e ** a."""
    return _unary("exp", a, backend.xp.exp(a.data), lambda g, x, y: g * y)


def log(a):
    """Natural logarithm."""
    return _unary("log", a, backend.xp.log(a.data), lambda g, x, y: g / x)


def sqrt(a):
    """Square root."""
    return _unary("sqrt", a, backend.xp.sqrt(a.data), lambda g, x, y: g / (2 * y))


def tanh(a):
    """Hyperbolic tangent."""
    return _unary("tanh", a, backend.xp.tanh(a.data), lambda g, x, y: g * (1 - y * y))


def sin(a):
    """Sine; the gradient is ``cos(a)``, itself an op, so it differentiates again."""
    return _unary("sin", a, backend.xp.sin(a.data), lambda g, x, y: g * cos(x))


def cos(a):
    """Cosine; the gradient is ``-sin(a)``, itself an op, so it differentiates again."""
    return _unary("cos", a, backend.xp.cos(a.data), lambda g, x, y: -g * sin(x))


def sigmoid(a):
    """1 / (1 + e^-a), evaluated without overflow for large |a|."""
    xp = backend.xp
    e = xp.exp(-xp.abs(a.data))
    data = xp.where(a.data >= 0, 1 / (1 + e), e / (1 + e))
    return _unary("sigmoid", a, data, lambda g, x, y: g * y * (1 - y))


def relu(a):
    """max(a, 0); the gradient at 0 is 0, as in PyTorch."""
    xp = backend.xp
    return _unary("relu", a, xp.maximum(a.data, 0),
                  lambda g, x, y: g * (x.data > 0).astype(x.dtype))


def erf(a):
    """The error function, 2/sqrt(pi) * integral_0^a exp(-t^2) dt."""
    scale = 2 / math.sqrt(math.pi)
    return _unary("erf", a, backend.erf(a.data), lambda g, x, y: g * scale * exp(-x * x))


def gelu(a, approximate="none"):
    """GELU: x * Phi(x) (``approximate="none"``) or PyTorch's tanh approximation."""
    if approximate == "none":
        return 0.5 * a * (1 + erf(a * (1 / math.sqrt(2))))
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)
        return 0.5 * a * (1 + tanh(inner))
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")


def softplus(a, beta=1.0, threshold=20.0):
    """log(1 + e^(beta a)) / beta, linear where beta * a > threshold (PyTorch's rule)."""
    xp = backend.xp
    scaled = a.data * beta
    linear = scaled > threshold
    data = xp.where(linear, a.data, xp.logaddexp(0, scaled) / beta)

    def grad(g, x, y):
        return where(linear, g, g * sigmoid(x * beta))
    return _unary("softplus", a, data.astype(a.dtype, copy=False), grad)


def clip(a, min=None, max=None):
    """Clamp into [min, max]; gradient 1 where min <= a <= max, else 0."""
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max")
    xp = backend.xp
    data = xp.clip(a.data, min, max)
    inside = xp.ones(a.shape, dtype=bool)
    if min is not None:
        inside &= a.data >= min
    if max is not None:
        inside &= a.data <= max
    return _unary("clip", a, data, lambda g, x, y: g * inside.astype(x.dtype))


def where(condition, a, b):
    """Elementwise ``a if condition else b`` with broadcasting; no gradient to the condition."""
    cond = condition.data if isinstance(condition, Tensor) else backend.asarray(condition)
    zero = 0.0
    return _binary("where", a, b, lambda x, y: backend.xp.where(cond, x, y),
                   lambda g, A, B, y: where(cond, g, zero),
                   lambda g, A, B, y: where(cond, zero, g))


def cast(a, dtype):
    """A copy of ``a`` in ``dtype``; the gradient is cast back to ``a``'s dtype.

    A cast to an integer or boolean dtype leaves the graph, as in PyTorch."""
    data = a.data.astype(dtype)
    if not backend.is_float(data.dtype):
        return Tensor(data)
    return _unary("cast", a, data, lambda g, x, y: cast(g, x.dtype) if g.dtype != x.dtype else g)
