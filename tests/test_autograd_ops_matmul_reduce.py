"""Property-based gradient checks of matmul, linear and the reductions: float64.

matmul in every rank combination, linear as one op (and its differentiable
backward), sum/mean/var/std over any dims, max/min with indices, the softmax
family including large-magnitude inputs, logsumexp, and a composite layer.

Hypothesis draws the shapes (including operands of different rank and size-1
axes that broadcast) and a seed; the values come from that seed, kept away
from the points where an op has a kink (0 for abs/relu, the clip bounds) so
central differences are meaningful.
"""
import numpy as np
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import tinyopt
from tinyopt import Tensor, gradcheck
from tinyopt.autograd.ops import elementwise as ew

from autograd_helpers import leaf, nonempty, quick, seeds, uniform


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
    expected = np.matmul(a.array, b.array)
    out = a @ b
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.array, expected, rtol=1e-12)
    assert gradcheck(lambda x, y: x @ y, [a, b])
    assert gradcheck(lambda x: x.matmul(b.detach()), [a])
    assert gradcheck(lambda y: a.detach().array @ y, [b])  # ndarray @ Tensor


@quick
@given(st.lists(st.integers(1, 3), min_size=0, max_size=2), st.integers(1, 4),
       st.integers(1, 4), st.sampled_from(["none", "vector", "full"]), seeds)
def test_linear_as_one_op(batch, features_in, features_out, bias_kind, seed):
    """bias: none, a layer's (out,), or the product's full shape (a recurrent step's)."""
    from tinyopt.autograd.ops.linalg import linear
    rng = np.random.default_rng(seed)
    x = uniform(rng, tuple(batch) + (features_in,))
    w = uniform(rng, (features_out, features_in))
    with_bias = bias_kind != "none"
    bias_shape = (features_out,) if bias_kind == "vector" else tuple(batch) + (features_out,)
    b = uniform(rng, bias_shape) if with_bias else None
    expected = x.array @ w.array.T + (b.array if with_bias else 0.0)
    np.testing.assert_allclose(linear(x, w, b).array, expected, rtol=1e-12)
    inputs = [x, w, b] if with_bias else [x, w]
    assert gradcheck(lambda *t: linear(*t), inputs)
    # the backward pass is itself differentiable: check the gradient of a gradient
    v = rng.uniform(-1, 1, expected.shape)

    def gradient_of_x(*t):
        with tinyopt.enable_grad():  # gradcheck evaluates fn under no_grad
            out = linear(*t)
            return tinyopt.grad((out * out * v).sum(), t[0], create_graph=True)[0]
    assert gradcheck(gradient_of_x, inputs)


def test_linear_full_bias_gradient_is_not_aliased_with_the_output_gradient():
    """A full-shape bias gets the output's gradient object itself, so the engine never sums
    another path into it in place: the output's own gradient and the bias's stay right."""
    from tinyopt.autograd.ops.linalg import linear
    rng = np.random.default_rng(0)
    x, w, b = uniform(rng, (3, 2)), uniform(rng, (4, 2)), uniform(rng, (3, 4))
    z = linear(x, w, b)
    loss = (z * z).sum() + (b * 3.0).sum()
    dz, db = tinyopt.grad(loss, [z, b])
    np.testing.assert_allclose(dz.array, 2 * z.array, rtol=1e-12)
    np.testing.assert_allclose(db.array, 2 * z.array + 3.0, rtol=1e-12)
    loss = (linear(x, w, b) ** 2).sum() + (b * 3.0).sum()
    loss.backward()
    np.testing.assert_allclose(b.grad.array, 2 * z.array + 3.0, rtol=1e-12)


# -------------------------------------------------------------------- reductions
@quick
@given(st.data(), nonempty, seeds, st.booleans(), st.sampled_from(["sum", "mean"]))
def test_sum_mean(data, shape, seed, keepdim, name):
    dim = data.draw(dims_of(shape))
    x = uniform(np.random.default_rng(seed), shape)
    out = getattr(x, name)(dim, keepdim)
    axis = dim if dim is None or isinstance(dim, tuple) else (dim,)
    expected = getattr(np, name)(x.array, axis=axis, keepdims=keepdim)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.array, expected, rtol=1e-12)
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
    expected = np.var(x.array, axis=axis, keepdims=keepdim, ddof=correction)
    np.testing.assert_allclose(out.array, expected, rtol=1e-10, atol=1e-14)
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
        assert out.item() == getattr(np, kind)(x.array)
        assert gradcheck(lambda t: getattr(t, kind)(), [x])
        return
    values, indices = getattr(x, kind)(dim, keepdim)
    np.testing.assert_array_equal(values.array, getattr(np, kind)(x.array, axis=dim,
                                                                  keepdims=keepdim))
    arg = np.argmax if kind == "max" else np.argmin
    np.testing.assert_array_equal(indices.array, arg(x.array, axis=dim, keepdims=keepdim))
    assert gradcheck(lambda t: getattr(t, kind)(dim, keepdim).values, [x])


@quick
@given(st.data(), nonempty, seeds, st.sampled_from([1.0, 1e3, -1e3]))
def test_softmax_family(data, shape, seed, offset):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdim = data.draw(st.booleans())
    rng = np.random.default_rng(seed)
    x = leaf(offset + rng.uniform(-3, 3, size=shape) * (abs(offset) if offset != 1.0 else 1))
    reference = x.array - x.array.max(axis=dim, keepdims=True)
    log_z = np.log(np.exp(reference).sum(axis=dim, keepdims=True))
    for out, expected in ((x.softmax(dim), np.exp(reference - log_z)),
                          (x.log_softmax(dim), reference - log_z),
                          (x.logsumexp(dim, keepdim),
                           (log_z + x.array.max(axis=dim, keepdims=True)).reshape(
                               np.sum(x.array, axis=dim, keepdims=keepdim).shape))):
        assert np.all(np.isfinite(out.array)), "overflow for large-magnitude inputs"
        # one ulp at 4e3 is 5e-13: the absolute tolerance follows the inputs' magnitude
        np.testing.assert_allclose(out.array, expected, rtol=1e-12, atol=1e-12 * abs(offset) ** 2)
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
    big = Tensor(x.array * 1e3 + 1e3, requires_grad=True)
    out = big.logsumexp(tuple(dims))
    out.sum().backward()
    assert np.all(np.isfinite(out.array)) and np.all(np.isfinite(big.grad))
    # the gradient of logsumexp is a softmax: each slice sums to one
    np.testing.assert_allclose(big.grad.sum(axis=tuple(dims)), 1.0, rtol=1e-12)


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
