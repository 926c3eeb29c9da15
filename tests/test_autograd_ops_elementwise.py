"""Property-based gradient checks of the elementwise ops: random shapes, float64.

Binary arithmetic with broadcasting, Python scalars and arrays, powers, the
unary functions (exp, log, tanh, sin, cos, gelu, softplus, ...), clip, where, and the
dtype of gradients through casts.

Hypothesis draws the shapes (including operands of different rank and size-1
axes that broadcast) and a seed; the values come from that seed, kept away
from the points where an op has a kink (0 for abs/relu, the clip bounds) so
central differences are meaningful.
"""
import math

import numpy as np
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import tinyopt
from tinyopt import Tensor, gradcheck
from tinyopt.autograd.ops import elementwise as ew

from autograd_helpers import leaf, quick, seeds, uniform

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
two_broadcastable = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                      min_side=1, max_side=3)


def away_from_zero(rng, shape, margin=0.2):
    """Values in [-2, -margin] u [margin, 2]."""
    sign = rng.choice([-1.0, 1.0], size=shape)
    return leaf(sign * rng.uniform(margin, 2.0, size=shape))


# --------------------------------------------------------------------- arithmetic
@quick
@given(two_broadcastable, seeds, st.sampled_from(["add", "sub", "mul", "div"]))
def test_binary_arithmetic_with_broadcasting(shapes_pair, seed, op):
    rng = np.random.default_rng(seed)
    (shape_a, shape_b), _ = shapes_pair
    a, b = uniform(rng, shape_a), away_from_zero(rng, shape_b, margin=0.5)
    function = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y,
                "mul": lambda x, y: x * y, "div": lambda x, y: x / y}[op]
    assert gradcheck(function, [a, b])


@quick
@given(shapes, seeds)
def test_arithmetic_with_python_scalars_and_arrays(shape, seed):
    rng = np.random.default_rng(seed)
    x = away_from_zero(rng, shape, margin=0.5)
    constant = rng.uniform(0.5, 1.5, size=shape[-1:])  # a plain ndarray operand
    assert gradcheck(lambda t: 2.0 - t * 3 + 1 / t - t / 4.0 + constant * t - t / constant, [x])


@quick
@given(two_broadcastable, seeds)
def test_pow_tensor_tensor_positive_base(shapes_pair, seed):
    rng = np.random.default_rng(seed)
    (shape_a, shape_b), _ = shapes_pair
    base, exponent = uniform(rng, shape_a, 0.5, 2.0), uniform(rng, shape_b, -2.0, 2.0)
    assert gradcheck(lambda a, b: a ** b, [base, exponent])


@quick
@given(shapes, seeds, st.sampled_from([2, 3, -1, 0.5, 1.5, -2.5]))
def test_pow_tensor_scalar(shape, seed, exponent):
    rng = np.random.default_rng(seed)
    if float(exponent).is_integer():
        x = away_from_zero(rng, shape, margin=0.3)
    else:
        x = uniform(rng, shape, 0.3, 2.0)
    assert gradcheck(lambda t: t ** exponent, [x])
    assert gradcheck(lambda t: t.pow(exponent), [x])


@quick
@given(shapes, seeds, st.sampled_from([2.0, 0.5, math.e, 3]))
def test_pow_scalar_tensor(shape, seed, base):
    x = uniform(np.random.default_rng(seed), shape)
    assert gradcheck(lambda t: base ** t, [x])


# -------------------------------------------------------------------- unary math
UNARY = {
    "neg": (lambda t: -t, "any"),
    "abs": (lambda t: abs(t), "nonzero"),
    "exp": (lambda t: t.exp(), "any"),
    "log": (lambda t: t.log(), "positive"),
    "sqrt": (lambda t: t.sqrt(), "positive"),
    "tanh": (lambda t: t.tanh(), "any"),
    "sin": (lambda t: t.sin(), "any"),
    "cos": (lambda t: t.cos(), "any"),
    "sigmoid": (lambda t: t.sigmoid(), "any"),
    "relu": (lambda t: t.relu(), "nonzero"),
    "erf": (ew.erf, "any"),
    "gelu": (ew.gelu, "any"),
    "gelu_tanh": (lambda t: ew.gelu(t, approximate="tanh"), "any"),
    "softplus": (ew.softplus, "any"),
}


def unary_input(rng, shape, domain):
    if domain == "positive":
        return uniform(rng, shape, 0.3, 3.0)
    if domain == "nonzero":
        return away_from_zero(rng, shape)
    return uniform(rng, shape, -3.0, 3.0)


@quick
@given(shapes, seeds, st.sampled_from(sorted(UNARY)))
def test_unary(shape, seed, name):
    function, domain = UNARY[name]
    assert gradcheck(function, [unary_input(np.random.default_rng(seed), shape, domain)])


@quick
@given(shapes, seeds, st.sampled_from([0.5, 1.0, 3.0]), st.sampled_from([0.5, 2.0, 20.0]))
def test_softplus_beta_threshold(shape, seed, beta, threshold):
    rng = np.random.default_rng(seed)
    values = rng.uniform(-3, 3, size=shape)
    # the linear branch switches on at beta * x = threshold: keep clear of the seam
    near = np.abs(values * beta - threshold) < 0.05
    values = np.where(near, values + 0.2 / beta, values)
    assert gradcheck(lambda t: ew.softplus(t, beta=beta, threshold=threshold), [leaf(values)])


@quick
@given(shapes, seeds, st.sampled_from([(-0.5, 0.5), (None, 0.3), (-0.3, None)]))
def test_clip(shape, seed, bounds):
    low, high = bounds
    rng = np.random.default_rng(seed)
    values = rng.uniform(-1.5, 1.5, size=shape)
    for bound in (low, high):
        if bound is not None:  # keep clear of the kinks
            values = np.where(np.abs(values - bound) < 0.05, values + 0.1, values)
    assert gradcheck(lambda t: t.clip(low, high), [leaf(values)])
    assert gradcheck(lambda t: t.clamp(min=low, max=high), [leaf(values)])


@quick
@given(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3),
       seeds)
def test_where_broadcasts_condition_and_operands(shapes_triple, seed):
    rng = np.random.default_rng(seed)
    (shape_c, shape_a, shape_b), _ = shapes_triple
    condition = rng.random(shape_c) < 0.5
    a, b = uniform(rng, shape_a), uniform(rng, shape_b)
    assert gradcheck(lambda x, y: tinyopt.where(condition, x, y), [a, b])
    assert gradcheck(lambda x: tinyopt.where(Tensor(condition), x, 0.5), [a])


def test_cast_gradients_come_back_in_the_input_dtype():
    x = leaf([1.0, -2.0, 3.0])
    assert gradcheck(lambda t: t.double() * t.to("float64"), [x])
    y = x.float()
    assert y.dtype == np.float32 and y.requires_grad
    (y * tinyopt.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])
    z = tinyopt.tensor([1.0, 2.0], requires_grad=True)  # float32 leaf
    (z.double() ** 2).sum().backward()
    assert z.grad.dtype == np.float32
    np.testing.assert_allclose(z.grad, [2.0, 4.0])
