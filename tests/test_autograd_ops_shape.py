"""Property-based gradient checks of the shape and indexing ops: float64.

reshape/view/flatten, transpose/permute, squeeze/unsqueeze, expand, basic,
integer-array and boolean-mask indexing, gather, cat/stack, pad, and the
sliding-window unfold/fold pair.

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
from tinyopt.autograd.ops import shape as sh
from tinyopt.autograd.ops.window import fold, unfold

from autograd_helpers import nonempty, quick, seeds, uniform


# ----------------------------------------------------------------- shape ops
@quick
@given(nonempty, seeds, st.data())
def test_reshape_view_flatten(shape, seed, data):
    x = uniform(np.random.default_rng(seed), shape)
    size = x.numel()
    target = data.draw(st.sampled_from([(-1,), (size, 1), tuple(reversed(shape)), (1, -1)]))
    weights = np.random.default_rng(seed).normal(size=x.array.reshape(target).shape)
    assert gradcheck(lambda t: t.reshape(*target) * weights, [x])
    assert gradcheck(lambda t: t.view(target), [x])
    start = data.draw(st.integers(-len(shape), len(shape) - 1))
    end = data.draw(st.integers(start % len(shape), len(shape) - 1))
    flat = x.flatten(start, end)
    assert flat.shape == x.array.reshape(shape[:start % len(shape)] + (-1,) + shape[end + 1:]).shape
    assert gradcheck(lambda t: t.flatten(start, end), [x])


@quick
@given(nonempty, seeds, st.data())
def test_transpose_permute(shape, seed, data):
    x = uniform(np.random.default_rng(seed), shape)
    ndim = len(shape)
    d0, d1 = data.draw(st.integers(-ndim, ndim - 1)), data.draw(st.integers(-ndim, ndim - 1))
    np.testing.assert_array_equal(x.transpose(d0, d1).array, np.swapaxes(x.array, d0, d1))
    assert gradcheck(lambda t: t.transpose(d0, d1) * 1.5, [x])
    order = data.draw(st.permutations(range(ndim)))
    np.testing.assert_array_equal(x.permute(*order).array, np.transpose(x.array, order))
    weights = np.random.default_rng(seed).normal(size=x.array.transpose(order).shape)
    assert gradcheck(lambda t: t.permute(order) * weights, [x])
    assert gradcheck(lambda t: t.T, [x])


@quick
@given(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=2), seeds, st.data())
def test_squeeze_unsqueeze(shape, seed, data):
    x = uniform(np.random.default_rng(seed), shape)
    ndim = len(shape)
    assert x.squeeze().shape == np.squeeze(x.array).shape
    assert gradcheck(lambda t: t.squeeze(), [x])
    dim = data.draw(st.integers(-ndim, ndim - 1))
    expected = x.array.squeeze(dim).shape if shape[dim] == 1 else shape
    assert x.squeeze(dim).shape == expected
    assert gradcheck(lambda t: t.squeeze(dim), [x])
    new = data.draw(st.integers(-ndim - 1, ndim))
    assert x.unsqueeze(new).shape == np.expand_dims(x.array, new).shape
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
    np.testing.assert_array_equal(x[index].array, x.array[index])
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
    np.testing.assert_array_equal(x[Tensor(mask)].array, x.array[mask])
    assert gradcheck(lambda t: t[Tensor(mask)], [x])
    assert gradcheck(lambda t: t[x.array > 0] * 2, [x])
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
    expected = np.take_along_axis(x.array[tuple(slice(0, n) for n in index_shape[:dim % len(shape)])
                                         + (slice(None),)
                                         + tuple(slice(0, n) for n in
                                                 index_shape[dim % len(shape) + 1:])],
                                  index, axis=dim)
    np.testing.assert_array_equal(out.array, expected)
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
    np.testing.assert_array_equal(tinyopt.cat(parts, dim).array,
                                  np.concatenate([p.array for p in parts], axis=dim))
    assert gradcheck(lambda *ts: tinyopt.cat(ts, dim), parts)
    same = [uniform(rng, shape) for _ in range(count)]
    new_dim = data.draw(st.integers(-ndim - 1, ndim))
    np.testing.assert_array_equal(tinyopt.stack(same, new_dim).array,
                                  np.stack([p.array for p in same], axis=new_dim))
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
    np.testing.assert_array_equal(sh.pad(x, pads, value).array,
                                  np.pad(x.array, widths, constant_values=value))
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
    np.testing.assert_array_equal(patches.array[:, :, i, j, p, q],
                                  x.array[:, :, p * sh_ + i, q * sw + j])
    assert gradcheck(lambda t: unfold(t, (kh, kw), (sh_, sw)), [x])
    y = uniform(rng, (n, c, kh, kw, oh, ow))
    assert gradcheck(lambda t: fold(t, (h, w), (sh_, sw)), [y])
    # fold is unfold's adjoint: <unfold(x), y> == <x, fold(y)>
    np.testing.assert_allclose((patches.array * y.array).sum(),
                               (x.array * fold(y.detach(), (h, w), (sh_, sw)).array).sum(),
                               rtol=1e-12)
