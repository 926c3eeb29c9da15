"""Elementwise operations: arithmetic, unary math, activations, clip, where, cast.

Each gradient is written as tensor operations on the saved inputs and output,
so it can be differentiated again. For ``y = f(x)``:

    add/sub: dy/da = 1, dy/db = +-1      mul: b, a       div: 1/b, -y/b
    pow:     b a^(b-1), y log a          exp: y          log: 1/x
    sqrt:    1/(2y)    tanh: 1 - y^2     sigmoid: y(1 - y)
    sin:     cos x     cos: -sin x
    relu:    [y > 0]   abs: sign(x)      erf: 2/sqrt(pi) exp(-x^2)
    max(a, b): g where a wins (half at ties)      clone, cast, to(device): g

Each op also names what its gradient reads (the inputs, the output, or
nothing), so that ``backward`` can refuse values overwritten in place since.
"""
import math

import numpy

from ... import backend
from ..tensor import Tensor, as_gradients, backward_operands, make_result
from .broadcast import broadcast_apply, check_same_device, operand, unbroadcast
from .gelu_kernel import gelu_with_slope


def _binary(op, a, b, forward, grad_a, grad_b, reads="inputs"):
    """Apply ``forward`` to two operands; ``grad_x(g, A, B, out)`` give the gradients.

    ``reads`` says what the gradients read, so backward can check those
    weren't overwritten: ``"none"``, ``"inputs"``, ``"other"`` (mul: the gradient
    of each side reads the other side), ``"output"`` or ``"divisor"`` (div).
    """
    a_data, a_tensor = operand(a)
    b_data, b_tensor = operand(b)
    check_same_device(a_tensor, b_tensor)
    data = broadcast_apply(op, forward, a_data, b_data)
    A = a_data if a_tensor is None else a_tensor
    B = b_data if b_tensor is None else b_tensor
    pairs = [(t, rule) for t, rule in ((a_tensor, grad_a), (b_tensor, grad_b)) if t is not None]
    parents = tuple(t for t, _ in pairs)
    if reads == "none":
        saved = ()
    elif reads == "other":
        saved = tuple(other for t, other in ((a_tensor, b_tensor), (b_tensor, a_tensor))
                      if t is not None and t.requires_grad and other is not None)
    elif reads == "divisor":
        saved = () if b_tensor is None else (b_tensor,)
    else:
        saved = () if reads == "output" else parents
    out = make_result(data, parents, None, op, saved=saved,
                      saves_output=reads in ("output", "divisor"))
    if out.requires_grad:
        def backward(g):
            return tuple(unbroadcast(rule(g, A, B, out), t.shape) if t.requires_grad else None
                         for t, rule in pairs)
        out._backward = backward
    return out


def _unary(op, a, data, grad, reads="input"):
    """Wrap ``data = f(a)``; ``grad(g, a, out)`` gives the input gradient.

    ``reads``: what ``grad`` reads — ``"input"``, ``"output"`` or ``"none"``."""
    out = make_result(data, (a,), None, op, saved=(a,) if reads == "input" else (),
                      saves_output=reads == "output")
    if out.requires_grad:
        out._backward = lambda g: (grad(g, a, out),)
    return out


def add(a, b):
    """a + b with broadcasting."""
    return _binary("add", a, b, backend.xp.add, lambda g, A, B, y: g, lambda g, A, B, y: g,
                   reads="none")


def sub(a, b):
    """a - b with broadcasting."""
    return _binary("sub", a, b, backend.xp.subtract, lambda g, A, B, y: g, lambda g, A, B, y: -g,
                   reads="none")


def mul(a, b):
    """a * b with broadcasting."""
    return _binary("mul", a, b, backend.xp.multiply,
                   lambda g, A, B, y: g * B, lambda g, A, B, y: g * A, reads="other")


def div(a, b):
    """a / b with broadcasting."""
    return _binary("div", a, b, backend.xp.true_divide,
                   lambda g, A, B, y: g / B, lambda g, A, B, y: -g * y / B, reads="divisor")


def pow(a, b):
    """a ** b; either side may be a Python number."""
    return _binary("pow", a, b, backend.xp.power,
                   lambda g, A, B, y: g * B * A ** (B - 1),
                   lambda g, A, B, y: g * y * _log_of(A), reads="inputs")


def _log_of(value):
    return value.log() if isinstance(value, Tensor) else math.log(value)


def neg(a):
    """-a."""
    return _unary("neg", a, -a.array, lambda g, x, y: -g, reads="none")


def abs(a):
    """|a|; the gradient at 0 is 0, as in PyTorch."""
    return _unary("abs", a, backend.xp.abs(a.array), lambda g, x, y: g * backend.xp.sign(x.array))


def exp(a):
    """e ** a."""
    return _unary("exp", a, backend.xp.exp(a.array), lambda g, x, y: g * y, reads="output")


def log(a):
    """Natural logarithm."""
    return _unary("log", a, backend.xp.log(a.array), lambda g, x, y: g / x)


def sqrt(a):
    """Square root."""
    return _unary("sqrt", a, backend.xp.sqrt(a.array), lambda g, x, y: g / (2 * y),
                  reads="output")


def tanh(a):
    """Hyperbolic tangent."""
    return _unary("tanh", a, backend.xp.tanh(a.array), lambda g, x, y: g * (1 - y * y),
                  reads="output")


def sin(a):
    """Sine; the gradient is ``cos(a)``, itself an op, so it differentiates again."""
    return _unary("sin", a, backend.xp.sin(a.array), lambda g, x, y: g * cos(x))


def cos(a):
    """Cosine; the gradient is ``-sin(a)``, itself an op, so it differentiates again."""
    return _unary("cos", a, backend.xp.cos(a.array), lambda g, x, y: -g * sin(x))


def sigmoid(a):
    """1 / (1 + e^-a), evaluated without overflow for large |a|."""
    xp = backend.xp
    e = xp.exp(-xp.abs(a.array))
    data = xp.where(a.array >= 0, 1 / (1 + e), e / (1 + e))
    return _unary("sigmoid", a, data, lambda g, x, y: g * y * (1 - y), reads="output")


def relu(a):
    """max(a, 0); the gradient at 0 is 0, as in PyTorch."""
    xp = backend.xp
    def grad(g, x, y):
        plain, (G,) = backward_operands(g)
        if not plain:
            return G * (y.array > 0)
        # the mask written as 0/1 in the gradient's dtype, then scaled in place: one
        # array, no boolean temporary
        slope = xp.greater(y.array, 0, out=xp.empty(y.shape, dtype=xp.result_type(G, y.array)))
        slope *= G
        return Tensor(slope)
    return _unary("relu", a, xp.maximum(a.array, 0), grad, reads="output")


def erf(a):
    """The error function, 2/sqrt(pi) * integral_0^a exp(-t^2) dt."""
    scale = 2 / math.sqrt(math.pi)
    return _unary("erf", a, backend.erf(a.array), lambda g, x, y: g * scale * exp(-x * x))


def gelu(a, approximate="none"):
    """GELU: x * Phi(x) (``approximate="none"``) or PyTorch's tanh approximation."""
    if approximate == "none":
        # one op: y = x Phi(x); dy/dx = Phi(x) + x phi(x). A float32 NumPy array takes the
        # compiled loop (gelu_kernel), which writes the slope with y; else a plain backward
        # reuses the forward's Phi. Under create_graph the slope is recomputed in tensor ops,
        # so it differentiates again
        xp = backend.xp
        if type(a.array) is numpy.ndarray and a.dtype == numpy.float32:
            data, slope = gelu_with_slope(a.array)
        else:
            cdf = 0.5 * (1 + backend.erf(a.array * (1 / math.sqrt(2))))
            data, slope = (a.array * cdf).astype(a.dtype, copy=False), None

        def grad(g, x, y):
            plain, (G, X) = backward_operands(g, x)
            if plain and slope is not None:
                return Tensor(G * slope)
            Phi = cdf if plain else 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
            phi = (xp.exp if plain else exp)(-0.5 * X * X) * (1 / math.sqrt(2 * math.pi))
            return as_gradients(plain, (G * (Phi + X * phi),))[0]
        return _unary("gelu", a, data, grad)
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)
        return 0.5 * a * (1 + tanh(inner))
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")


def softplus(a, beta=1.0, threshold=20.0):
    """log(1 + e^(beta a)) / beta, linear where beta * a > threshold (PyTorch's rule)."""
    xp = backend.xp
    scaled = a.array * beta
    linear = scaled > threshold
    data = xp.where(linear, a.array, xp.logaddexp(0, scaled) / beta)

    def grad(g, x, y):
        return where(linear, g, g * sigmoid(x * beta))
    return _unary("softplus", a, data.astype(a.dtype, copy=False), grad)


def clip(a, min=None, max=None):
    """Clamp into [min, max]; gradient 1 where min <= a <= max, else 0."""
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max")
    xp = backend.xp
    data = xp.clip(a.array, min, max)
    inside = xp.ones(a.shape, dtype=bool)
    if min is not None:
        inside &= a.array >= min
    if max is not None:
        inside &= a.array <= max
    return _unary("clip", a, data, lambda g, x, y: g * inside.astype(x.dtype), reads="none")


def where(condition, a, b):
    """Elementwise ``a if condition else b`` with broadcasting; no gradient to the condition."""
    cond = condition.array if isinstance(condition, Tensor) else backend.asarray(condition)
    zero = 0.0
    return _binary("where", a, b, lambda x, y: backend.xp.where(cond, x, y),
                   lambda g, A, B, y: where(cond, g, zero),
                   lambda g, A, B, y: where(cond, zero, g), reads="none")


def cast(a, dtype):
    """A copy of ``a`` in ``dtype``; the gradient is cast back to ``a``'s dtype.

    A cast to an integer or boolean dtype leaves the graph, as in PyTorch."""
    data = a.array.astype(dtype)
    if not backend.is_float(data.dtype):
        return Tensor(data)
    return _unary("cast", a, data, lambda g, x, y: cast(g, x.dtype) if g.dtype != x.dtype else g,
                  reads="none")


def clone(a):
    """A copy of ``a`` in memory of its own; the gradient passes through unchanged."""
    return _unary("clone", a, a.array.copy(), lambda g, x, y: g, reads="none")


def sign(a):
    """-1, 0 or 1 by the sign of each element; the gradient is 0 (as in PyTorch)."""
    return _unary("sign", a, backend.xp.sign(a.array), lambda g, x, y: g * 0.0, reads="none")


def maximum(a, b):
    """The larger of ``a`` and ``b`` elementwise; ties share the gradient equally (PyTorch)."""
    return _binary("maximum", a, b, backend.xp.maximum,
                   lambda g, A, B, y: g * _share(A, B), lambda g, A, B, y: g * _share(B, A))


def minimum(a, b):
    """The smaller of ``a`` and ``b`` elementwise; ties share the gradient equally."""
    return _binary("minimum", a, b, backend.xp.minimum,
                   lambda g, A, B, y: g * _share(B, A), lambda g, A, B, y: g * _share(A, B))


def _share(winner, loser):
    """1 where ``winner > loser``, 0.5 at ties, else 0 (constant: no gradient of its own)."""
    w = winner.array if isinstance(winner, Tensor) else winner
    l = loser.array if isinstance(loser, Tensor) else loser
    dtype = (winner if isinstance(winner, Tensor) else loser).dtype
    return ((w > l) + 0.5 * (w == l)).astype(dtype)


def move(a, target):
    """``a`` copied to the ``backend.device`` ``target``; the gradient moves back."""
    source = a.device
    return _unary("to", a, backend.move_to(a.array, target), lambda g, x, y: move(g, source),
                  reads="none")


def round_to_bfloat16(array):
    """``array`` rounded to the nearest bfloat16 (ties to even), returned as float32.

    Keeps the top 16 bits of each float32: sign, 8 exponent bits, 7 stored
    mantissa bits. NaN stays NaN; values beyond bfloat16's largest finite
    number round to ±inf. (Float64 input is rounded to float32 first.)
    """
    xp = backend.xp
    values = xp.asarray(array, dtype=xp.float32)
    bits = values.view(xp.uint32)
    lowest_kept_bit = (bits >> xp.uint32(16)) & xp.uint32(1)
    rounded = (bits + xp.uint32(0x7FFF) + lowest_kept_bit) & xp.uint32(0xFFFF0000)
    return xp.where(xp.isnan(values), values, rounded.view(xp.float32))


def bfloat16_round(a):
    """The values rounded to bfloat16 (emulated in float32); the gradient is rounded back."""
    return _unary("bfloat16_round", a, round_to_bfloat16(a.array),
                  lambda g, x, y: bfloat16_round(g), reads="none")
