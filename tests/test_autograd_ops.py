"""Property-based gradient checks: every differentiable op, random shapes, float64.

Hypothesis draws the shapes (including operands of different rank and size-1
axes that broadcast) and a seed; the values come from that seed, kept away
from the points where an op has a kink (0 for abs/relu, the clip bounds) so
central differences are meaningful.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinyopt
from tinyopt import Tensor, gradcheck
from tinyopt.autograd.ops import elementwise as ew
from tinyopt.autograd.ops import reduce as rd
from tinyopt.autograd.ops import shape as sh
from tinyopt.autograd.ops.window import fold, unfold

quick = settings(deadline=None, max_examples=30)
seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
nonempty = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
two_broadcastable = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                      min_side=1, max_side=3)


def leaf(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def uniform(rng, shape, low=-2.0, high=2.0):
    return leaf(rng.uniform(low, high, size=shape))


def away_from_zero(rng, shape, margin=0.2):
    """Values in [-2, -margin] u [margin, 2]."""
    sign = rng.choice([-1.0, 1.0], size=shape)
    return leaf(sign * rng.uniform(margin, 2.0, size=shape))


def distinct(rng, shape):
    """Values whose pairwise gaps are at least 0.5, so max/min have a unique winner."""
    size = int(np.prod(shape, dtype=int))
    return leaf((rng.permutation(size) * 0.5 + rng.uniform(0, 0.1, size)).reshape(shape))


@st.composite
def dims_of(draw, shape, allow_tuple=True):
    """None, an int (possibly negative) or a tuple of distinct axes of ``shape``."""
    ndim = len(shape)
    options = [st.none(), st.integers(-ndim, ndim - 1)]
    if allow_tuple:
        options.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                unique=True).map(lambda axes: tuple(a - ndim if a % 2 else a
                                                                    for a in axes)))
    return draw(st.one_of(*options))


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


# ------------------------------------------------------------------------ matmul
@st.composite
def matmul_shapes(draw):
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    kind = draw(st.sampled_from(["1@1", "1@2", "2@1", "2@2", "batched", "1@batched",
                                 "batched@1"]))
    if kind == "1@1":
        return (k,), (k,)
    if kind == "1@2":
        return (k,), (k, m)
    if kind == "2@1":
        return (n, k), (k,)
    if kind == "2@2":
        return (n, k), (k, m)
    (batch_a, batch_b), _ = draw(hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=2, min_side=1, max_side=3))
    if kind == "1@batched":
        return (k,), batch_b + (k, m)
    if kind == "batched@1":
        return batch_a + (n, k), (k,)
    return batch_a + (n, k), batch_b + (k, m)


@quick
@given(matmul_shapes(), seeds)
def test_matmul(shapes_pair, seed):
    rng = np.random.default_rng(seed)
    a, b = uniform(rng, shapes_pair[0]), uniform(rng, shapes_pair[1])
    expected = np.matmul(a.data, b.data)
    out = a @ b
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert gradcheck(lambda x, y: x @ y, [a, b])
    assert gradcheck(lambda x: x.matmul(b.detach()), [a])
    assert gradcheck(lambda y: a.detach().data @ y, [b])  # ndarray @ Tensor


@quick
@given(st.lists(st.integers(1, 3), min_size=0, max_size=2), st.integers(1, 4),
       st.integers(1, 4), st.booleans(), seeds)
def test_linear_as_one_op(batch, features_in, features_out, with_bias, seed):
    from tinyopt.autograd.ops.linalg import linear
    rng = np.random.default_rng(seed)
    x = uniform(rng, tuple(batch) + (features_in,))
    w = uniform(rng, (features_out, features_in))
    b = uniform(rng, (features_out,)) if with_bias else None
    expected = x.data @ w.data.T + (b.data if with_bias else 0.0)
    np.testing.assert_allclose(linear(x, w, b).data, expected, rtol=1e-12)
    inputs = [x, w, b] if with_bias else [x, w]
    assert gradcheck(lambda *t: linear(*t), inputs)
    # the backward pass is itself differentiable: check the gradient of a gradient
    v = rng.uniform(-1, 1, expected.shape)

    def gradient_of_x(*t):
        with tinyopt.enable_grad():  # gradcheck evaluates fn under no_grad
            out = linear(*t)
            return tinyopt.grad((out * out * v).sum(), t[0], create_graph=True)[0]
    assert gradcheck(gradient_of_x, inputs)


# -------------------------------------------------------------------- reductions
@quick
@given(st.data(), nonempty, seeds, st.booleans(), st.sampled_from(["sum", "mean"]))
def test_sum_mean(data, shape, seed, keepdim, name):
    dim = data.draw(dims_of(shape))
    x = uniform(np.random.default_rng(seed), shape)
    out = getattr(x, name)(dim, keepdim)
    axis = dim if dim is None or isinstance(dim, tuple) else (dim,)
    expected = getattr(np, name)(x.data, axis=axis, keepdims=keepdim)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert gradcheck(lambda t: getattr(t, name)(dim, keepdim), [x])


@quick
@given(st.data(), nonempty, seeds, st.booleans(), st.sampled_from([0, 1, 2]))
def test_var_and_std(data, shape, seed, keepdim, correction):
    dim = data.draw(dims_of(shape))
    axes = range(len(shape)) if dim is None else ([dim] if isinstance(dim, int) else dim)
    count = int(np.prod([shape[a] for a in axes], dtype=int))
    correction = min(correction, count - 1)  # n - correction must stay positive
    x = uniform(np.random.default_rng(seed), shape)
    out = x.var(dim, keepdim, correction=correction)
    axis = dim if dim is None or isinstance(dim, tuple) else (dim,)
    expected = np.var(x.data, axis=axis, keepdims=keepdim, ddof=correction)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-14)
    assert gradcheck(lambda t: t.var(dim, keepdim, correction=correction), [x])
    assert gradcheck(lambda t: t.std(dim, keepdim, correction=correction), [x])


@quick
@given(st.data(), nonempty, seeds, st.booleans(), st.sampled_from(["max", "min"]))
def test_max_min(data, shape, seed, keepdim, kind):
    dim = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    x = distinct(np.random.default_rng(seed), shape)
    if dim is None:
        out = getattr(x, kind)()
        assert out.shape == ()
        assert out.item() == getattr(np, kind)(x.data)
        assert gradcheck(lambda t: getattr(t, kind)(), [x])
        return
    values, indices = getattr(x, kind)(dim, keepdim)
    np.testing.assert_array_equal(values.data, getattr(np, kind)(x.data, axis=dim,
                                                                  keepdims=keepdim))
    arg = np.argmax if kind == "max" else np.argmin
    np.testing.assert_array_equal(indices.data, arg(x.data, axis=dim, keepdims=keepdim))
    assert gradcheck(lambda t: getattr(t, kind)(dim, keepdim).values, [x])


@quick
@given(st.data(), nonempty, seeds, st.sampled_from([1.0, 1e3, -1e3]))
def test_softmax_family(data, shape, seed, offset):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdim = data.draw(st.booleans())
    rng = np.random.default_rng(seed)
    x = leaf(offset + rng.uniform(-3, 3, size=shape) * (abs(offset) if offset != 1.0 else 1))
    reference = x.data - x.data.max(axis=dim, keepdims=True)
    log_z = np.log(np.exp(reference).sum(axis=dim, keepdims=True))
    for out, expected in ((x.softmax(dim), np.exp(reference - log_z)),
                          (x.log_softmax(dim), reference - log_z),
                          (x.logsumexp(dim, keepdim),
                           (log_z + x.data.max(axis=dim, keepdims=True)).reshape(
                               np.sum(x.data, axis=dim, keepdims=keepdim).shape))):
        assert np.all(np.isfinite(out.data)), "overflow for large-magnitude inputs"
        # one ulp at 4e3 is 5e-13: the absolute tolerance follows the inputs' magnitude
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12 * abs(offset) ** 2)
    if abs(offset) > 1:
        return  # finite differences of 1e3-scale inputs are the test's noise, not the op's
    assert gradcheck(lambda t: t.softmax(dim), [x])
    assert gradcheck(lambda t: t.log_softmax(dim), [x])
    assert gradcheck(lambda t: t.logsumexp(dim, keepdim), [x])


@quick
@given(st.data(), nonempty, seeds)
def test_logsumexp_over_several_dims_and_large_inputs(data, shape, seed):
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
    x = uniform(np.random.default_rng(seed), shape)
    assert gradcheck(lambda t: t.logsumexp(tuple(dims)), [x])
    big = Tensor(x.data * 1e3 + 1e3, requires_grad=True)
    out = big.logsumexp(tuple(dims))
    out.sum().backward()
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(big.grad))
    # the gradient of logsumexp is a softmax: each slice sums to one
    np.testing.assert_allclose(big.grad.sum(axis=tuple(dims)), 1.0, rtol=1e-12)


# ----------------------------------------------------------------- shape ops
@quick
@given(nonempty, seeds, st.data())
def test_reshape_view_flatten(shape, seed, data):
    x = uniform(np.random.default_rng(seed), shape)
    size = x.numel()
    target = data.draw(st.sampled_from([(-1,), (size, 1), tuple(reversed(shape)), (1, -1)]))
    weights = np.random.default_rng(seed).normal(size=x.data.reshape(target).shape)
    assert gradcheck(lambda t: t.reshape(*target) * weights, [x])
    assert gradcheck(lambda t: t.view(target), [x])
    start = data.draw(st.integers(-len(shape), len(shape) - 1))
    end = data.draw(st.integers(start % len(shape), len(shape) - 1))
    flat = x.flatten(start, end)
    assert flat.shape == x.data.reshape(shape[:start % len(shape)] + (-1,) + shape[end + 1:]).shape
    assert gradcheck(lambda t: t.flatten(start, end), [x])


@quick
@given(nonempty, seeds, st.data())
def test_transpose_permute(shape, seed, data):
    x = uniform(np.random.default_rng(seed), shape)
    ndim = len(shape)
    d0, d1 = data.draw(st.integers(-ndim, ndim - 1)), data.draw(st.integers(-ndim, ndim - 1))
    np.testing.assert_array_equal(x.transpose(d0, d1).data, np.swapaxes(x.data, d0, d1))
    assert gradcheck(lambda t: t.transpose(d0, d1) * 1.5, [x])
    order = data.draw(st.permutations(range(ndim)))
    np.testing.assert_array_equal(x.permute(*order).data, np.transpose(x.data, order))
    weights = np.random.default_rng(seed).normal(size=x.data.transpose(order).shape)
    assert gradcheck(lambda t: t.permute(order) * weights, [x])
    assert gradcheck(lambda t: t.T, [x])


@quick
@given(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=2), seeds, st.data())
def test_squeeze_unsqueeze(shape, seed, data):
    x = uniform(np.random.default_rng(seed), shape)
    ndim = len(shape)
    assert x.squeeze().shape == np.squeeze(x.data).shape
    assert gradcheck(lambda t: t.squeeze(), [x])
    dim = data.draw(st.integers(-ndim, ndim - 1))
    expected = x.data.squeeze(dim).shape if shape[dim] == 1 else shape
    assert x.squeeze(dim).shape == expected
    assert gradcheck(lambda t: t.squeeze(dim), [x])
    new = data.draw(st.integers(-ndim - 1, ndim))
    assert x.unsqueeze(new).shape == np.expand_dims(x.data, new).shape
    assert gradcheck(lambda t: t.unsqueeze(new), [x])


@quick
@given(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3), seeds, st.data())
def test_expand(shape, seed, data):
    x = uniform(np.random.default_rng(seed), shape)
    lead = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    target = lead + tuple(data.draw(st.sampled_from([n, -1] if n != 1 else [1, 3, -1]))
                          for n in shape)
    out = x.expand(*target)
    resolved = lead + tuple(shape[i] if n == -1 else n for i, n in enumerate(target[len(lead):]))
    assert out.shape == resolved
    assert gradcheck(lambda t: t.expand(target), [x])


# -------------------------------------------------------------------- indexing
@st.composite
def basic_index(draw, shape):
    parts = []
    for n in shape:
        kind = draw(st.sampled_from(["slice", "int", "all"]))
        if kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.one_of(st.none(), st.integers(-n, n)))
            stop = draw(st.one_of(st.none(), st.integers(-n, n)))
            step = draw(st.sampled_from([None, 1, 2, -1, -2]))
            parts.append(slice(start, stop, step))
        else:
            parts.append(slice(None))
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), None)
    return tuple(parts)


@quick
@given(nonempty, seeds, st.data())
def test_basic_indexing(shape, seed, data):
    x = uniform(np.random.default_rng(seed), shape)
    index = data.draw(basic_index(shape))
    np.testing.assert_array_equal(x[index].data, x.data[index])
    assert gradcheck(lambda t: t[index], [x])
    assert gradcheck(lambda t: t[..., -1], [x])


@quick
@given(st.integers(1, 5), st.integers(1, 3), hnp.array_shapes(min_dims=1, max_dims=2,
                                                              max_side=4), seeds)
def test_integer_array_indexing_accumulates_repeats(vocab, width, index_shape, seed):
    """An embedding lookup: repeated rows must add their gradients."""
    rng = np.random.default_rng(seed)
    weight = uniform(rng, (vocab, width))
    ids = rng.integers(0, vocab, size=index_shape)
    ids.flat[0] = ids.flat[-1]  # at least one repeat when there are two or more ids
    out = weight[Tensor(ids)]
    assert out.shape == index_shape + (width,)
    upstream = rng.normal(size=out.shape)
    (out * upstream).sum().backward()
    expected = np.zeros((vocab, width))
    np.add.at(expected, ids, upstream)
    np.testing.assert_allclose(weight.grad, expected, rtol=1e-12)
    assert gradcheck(lambda w: w[ids], [weight])
    assert gradcheck(lambda w: w[ids.tolist()], [weight])
    assert gradcheck(lambda w: w[:, ids.reshape(-1) % width], [weight])


@quick
@given(nonempty, seeds)
def test_boolean_mask_indexing(shape, seed):
    rng = np.random.default_rng(seed)
    x = uniform(rng, shape)
    mask = rng.random(shape) < 0.5
    np.testing.assert_array_equal(x[Tensor(mask)].data, x.data[mask])
    assert gradcheck(lambda t: t[Tensor(mask)], [x])
    assert gradcheck(lambda t: t[x.data > 0] * 2, [x])
    row_mask = rng.random(shape[0]) < 0.5
    assert gradcheck(lambda t: t[row_mask], [x])


@quick
@given(nonempty, seeds, st.data())
def test_gather(shape, seed, data):
    rng = np.random.default_rng(seed)
    x = uniform(rng, shape)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    index_shape = tuple(data.draw(st.integers(1, 4)) if axis == dim % len(shape) else
                        data.draw(st.integers(1, n)) for axis, n in enumerate(shape))
    index = rng.integers(0, shape[dim], size=index_shape)
    out = x.gather(dim, Tensor(index))
    expected = np.take_along_axis(x.data[tuple(slice(0, n) for n in index_shape[:dim % len(shape)])
                                         + (slice(None),)
                                         + tuple(slice(0, n) for n in
                                                 index_shape[dim % len(shape) + 1:])],
                                  index, axis=dim)
    np.testing.assert_array_equal(out.data, expected)
    assert gradcheck(lambda t: t.gather(dim, index), [x])


@quick
@given(nonempty, seeds, st.data(), st.integers(1, 3))
def test_cat_and_stack(shape, seed, data, count):
    rng = np.random.default_rng(seed)
    ndim = len(shape)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    parts = []
    for _ in range(count):
        part_shape = list(shape)
        part_shape[dim] = data.draw(st.integers(1, 3))
        parts.append(uniform(rng, tuple(part_shape)))
    np.testing.assert_array_equal(tinyopt.cat(parts, dim).data,
                                  np.concatenate([p.data for p in parts], axis=dim))
    assert gradcheck(lambda *ts: tinyopt.cat(ts, dim), parts)
    same = [uniform(rng, shape) for _ in range(count)]
    new_dim = data.draw(st.integers(-ndim - 1, ndim))
    np.testing.assert_array_equal(tinyopt.stack(same, new_dim).data,
                                  np.stack([p.data for p in same], axis=new_dim))
    assert gradcheck(lambda *ts: tinyopt.stack(ts, dim=new_dim), same)


@quick
@given(nonempty, seeds, st.data())
def test_pad(shape, seed, data):
    x = uniform(np.random.default_rng(seed), shape)
    pairs = data.draw(st.integers(0, len(shape)))
    pads = tuple(data.draw(st.lists(st.integers(0, 2), min_size=2 * pairs, max_size=2 * pairs)))
    value = data.draw(st.sampled_from([0.0, -1.5]))
    widths = [(0, 0)] * len(shape)
    for i in range(len(pads) // 2):
        widths[len(shape) - 1 - i] = (pads[2 * i], pads[2 * i + 1])
    np.testing.assert_array_equal(sh.pad(x, pads, value).data,
                                  np.pad(x.data, widths, constant_values=value))
    assert gradcheck(lambda t: sh.pad(t, pads, value), [x])


# ------------------------------------------------------------- sliding windows
@quick
@given(st.integers(1, 2), st.integers(1, 2), st.integers(2, 5), st.integers(2, 5),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), st.integers(1, 2), seeds)
def test_unfold_and_fold(n, c, h, w, kh, kw, sh_, sw, seed):
    kh, kw = min(kh, h), min(kw, w)
    rng = np.random.default_rng(seed)
    x = uniform(rng, (n, c, h, w))
    patches = unfold(x, (kh, kw), (sh_, sw))
    oh, ow = (h - kh) // sh_ + 1, (w - kw) // sw + 1
    assert patches.shape == (n, c, kh, kw, oh, ow)
    i, j, p, q = rng.integers(kh), rng.integers(kw), rng.integers(oh), rng.integers(ow)
    np.testing.assert_array_equal(patches.data[:, :, i, j, p, q],
                                  x.data[:, :, p * sh_ + i, q * sw + j])
    assert gradcheck(lambda t: unfold(t, (kh, kw), (sh_, sw)), [x])
    y = uniform(rng, (n, c, kh, kw, oh, ow))
    assert gradcheck(lambda t: fold(t, (h, w), (sh_, sw)), [y])
    # fold is unfold's adjoint: <unfold(x), y> == <x, fold(y)>
    np.testing.assert_allclose((patches.data * y.data).sum(),
                               (x.data * fold(y.detach(), (h, w), (sh_, sw)).data).sum(),
                               rtol=1e-12)


# ------------------------------------------------------------- a composite graph
@quick
@given(seeds)
def test_layer_like_composite(seed):
    rng = np.random.default_rng(seed)
    x, w, b = uniform(rng, (4, 3)), uniform(rng, (3, 5)), uniform(rng, (5,))

    def layer(x, w, b):
        h = (x @ w + b).tanh()
        centred = h - h.mean(-1, keepdim=True)
        normed = centred / (h.var(-1, keepdim=True, correction=0) + 1e-5).sqrt()
        return ew.gelu(normed).log_softmax(-1)[np.arange(4), [0, 1, 4, 4]].mean()

    assert gradcheck(layer, [x, w, b])
