"""The one-op fast paths (conv2d, max_pool2d, layer_norm, the LSTM step, unbind, the plain
backwards on arrays) give the numbers of the simple composite they replace.

Each fast op is compared in float64 to 1e-10 with the composite written here
from the basic ops (unfold + matmul, unfold + max, mean/var, sigmoid/tanh),
forward and gradients; checked against finite differences (gradcheck); and
its create_graph backward against torch's double backward (Hessian-vector
products). float32 stays float32 through every one of them. Speed is
measured by ``tinyopt bench train``, never here.
"""
import numpy as np
import pytest

import tinyopt
from tinyopt import backend, gradcheck, nn
from tinyopt.autograd import grad
from tinyopt.autograd.ops.recurrent import lstm_cell
from tinyopt.autograd.ops.shape import pad
from tinyopt.autograd.ops.window import unfold
from tinyopt.nn import functional as F


@pytest.fixture(autouse=True)
def float64():
    with backend.default_dtype_as("float64"):
        yield


def normal(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def leaf(array):
    return tinyopt.tensor(array, requires_grad=True)


def same_values_and_gradients(fast, simple, arrays, seed=1):
    """fast(*inputs) and simple(*inputs) agree to 1e-10, and so do their input gradients."""
    results = []
    for fn in (fast, simple):
        inputs = [leaf(a) for a in arrays]
        out = fn(*inputs)
        upstream = np.random.default_rng(seed).normal(size=out.shape)
        (out * tinyopt.tensor(upstream)).sum().backward()
        results.append((out.array, [t.grad.array for t in inputs]))
    (fast_out, fast_grads), (simple_out, simple_grads) = results
    np.testing.assert_allclose(fast_out, simple_out, rtol=1e-10, atol=1e-12)
    for i, (a, b) in enumerate(zip(fast_grads, simple_grads)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"input {i}")
        assert np.abs(b).max() > 1e-6, "trivially zero"


# ----------------------------------------------------------------- convolution
def composite_conv2d(x, w, b, stride, padding, dilation, groups):
    """The convolution from basic ops: pad, unfold, permute, one matmul per group."""
    out_channels, group_channels, kh, kw = w.shape
    if padding:
        x = pad(x, (padding, padding, padding, padding))
    patches = unfold(x, (kh, kw), (stride, stride), (dilation, dilation))
    n, _, _, _, oh, ow = patches.shape
    columns = patches.reshape(n, groups, group_channels, kh, kw, oh, ow) \
        .permute(1, 0, 5, 6, 2, 3, 4).reshape(groups, n * oh * ow, -1)
    kernels = w.reshape(groups, out_channels // groups, -1).transpose(1, 2)
    out = (columns @ kernels).reshape(groups, n, oh, ow, out_channels // groups) \
        .permute(1, 0, 4, 2, 3).reshape(n, out_channels, oh, ow)
    return out if b is None else out + b.reshape(1, -1, 1, 1)


@pytest.mark.parametrize("cin, cout, k, stride, padding, dilation, groups", [
    (3, 4, 3, 1, 1, 1, 1), (4, 6, 3, 2, 0, 1, 2), (4, 4, 2, 1, 2, 2, 4), (2, 3, 1, 1, 0, 1, 1),
])
def test_conv2d_op_equals_the_unfold_and_matmul_composite(cin, cout, k, stride, padding,
                                                          dilation, groups):
    options = (stride, padding, dilation, groups)
    arrays = (normal(2, cin, 7, 6), normal(cout, cin // groups, k, k, seed=1), normal(cout, seed=2))
    same_values_and_gradients(lambda x, w, b: F.conv2d(x, w, b, *options),
                              lambda x, w, b: composite_conv2d(x, w, b, *options), arrays)


def test_conv2d_op_without_input_gradient_and_bias():
    x = tinyopt.tensor(normal(2, 3, 5, 5))  # the first layer's input needs no gradient
    w = leaf(normal(4, 3, 3, 3, seed=1))
    F.conv2d(x, w, None, 1, 1).sum().backward()
    reference = leaf(w.array)
    composite_conv2d(x, reference, None, 1, 1, 1, 1).sum().backward()
    np.testing.assert_allclose(w.grad.array, reference.grad.array, rtol=1e-10)
    assert x.grad is None


# ------------------------------------------------------------------ max pooling
def composite_max_pool2d(x, k, stride):
    """Max pooling from basic ops: the windows of unfold, max over each."""
    patches = unfold(x, (k, k), (stride, stride))
    n, c, _, _, oh, ow = patches.shape
    return patches.reshape(n, c, k * k, oh, ow).max(dim=2).values


@pytest.mark.parametrize("k, stride", [(2, 2), (3, 1), (3, 2)])  # overlapping windows too
def test_max_pool2d_op_equals_the_unfold_and_max_composite(k, stride):
    same_values_and_gradients(lambda x: F.max_pool2d(x, k, stride),
                              lambda x: composite_max_pool2d(x, k, stride), [normal(2, 3, 7, 8)])


def test_max_pool2d_ties_and_overlaps_accumulate_at_the_first_maximum():
    x = leaf(np.zeros((1, 1, 3, 3)))  # every window ties; all choose their top-left element
    F.max_pool2d(x, 2, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.array[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_max_pool2d_propagates_nan_as_torch():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    out = F.max_pool2d(tinyopt.tensor(x), 2).array[0, 0]
    assert np.isnan(out[0, 0]) and not np.isnan(out[0, 1]) and out[1, 1] == 15


def test_max_pool2d_gradcheck_and_second_order_with_padding_and_dilation():
    torch = pytest.importorskip("torch")
    from nn_torch_helpers import hvp_matches_torch
    x = normal(2, 2, 7, 6)
    options = (3, 2, 1, 2, True)  # kernel, stride, padding, dilation, ceil_mode
    gradcheck(lambda t: F.max_pool2d(t, *options), [leaf(x)])
    hvp_matches_torch(lambda t: F.max_pool2d(t, *options) ** 2,
                      lambda t: torch.nn.functional.max_pool2d(t, *options) ** 2, x)


# ------------------------------------------------------------------- LayerNorm
def composite_layer_norm(x, w, b, dims=(-1,), eps=1e-5):
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, keepdim=True, correction=0)
    return (x - mean) / (var + eps).sqrt() * w + b


def test_layer_norm_op_equals_the_mean_and_variance_composite():
    arrays = (normal(3, 4, 6), 1 + normal(6, seed=1), normal(6, seed=2))
    same_values_and_gradients(lambda x, w, b: F.layer_norm(x, 6, w, b),
                              composite_layer_norm, arrays)
    same_values_and_gradients(lambda x, w, b: F.layer_norm(x, (4, 6), w, b),
                              lambda x, w, b: composite_layer_norm(x, w, b, (-2, -1)),
                              (normal(3, 4, 6), normal(4, 6, seed=1), normal(4, 6, seed=2)))


def test_layer_norm_gradcheck_and_second_order():
    torch = pytest.importorskip("torch")
    from nn_torch_helpers import hvp_matches_torch
    arrays = (normal(3, 5), 1 + normal(5, seed=1), normal(5, seed=2))
    gradcheck(lambda x, w, b: F.layer_norm(x, 5, w, b), [leaf(a) for a in arrays])
    hvp_matches_torch(lambda x, w, b: F.layer_norm(x, 5, w, b),
                      lambda x, w, b: torch.nn.functional.layer_norm(x, (5,), w, b), *arrays)
    hvp_matches_torch(lambda x: F.layer_norm(x, 5),
                      lambda x: torch.nn.functional.layer_norm(x, (5,)), arrays[0])


# ------------------------------------------------------------ the LSTM step
def composite_lstm_step(z, c):
    n = c.shape[-1]
    i, f = z[:, :n].sigmoid(), z[:, n:2 * n].sigmoid()
    g, o = z[:, 2 * n:3 * n].tanh(), z[:, 3 * n:].sigmoid()
    c = f * c + i * g
    return tinyopt.stack([o * c.tanh(), c])


def test_lstm_cell_op_equals_the_gate_by_gate_composite():
    arrays = (normal(3, 16) * 2, normal(3, 4, seed=1))
    same_values_and_gradients(lstm_cell, composite_lstm_step, arrays)
    gradcheck(lstm_cell, [leaf(a) for a in arrays])


def _lstm_layer_inputs(steps=5, batch=3, size=4):
    return (normal(steps, batch, 4 * size) * 2, normal(batch, size, seed=1),
            normal(batch, size, seed=2), normal(4 * size, size, seed=3) * 0.5)


def test_lstm_sequence_op_equals_one_op_per_step():
    from tinyopt.autograd.ops.lstm_sequence import lstm_sequence, lstm_steps
    same_values_and_gradients(lstm_sequence, lstm_steps, _lstm_layer_inputs())
    assert gradcheck(lstm_sequence, [leaf(a) for a in _lstm_layer_inputs(3, 2, 2)])


def test_lstm_sequence_op_equals_one_op_per_step_without_the_compiled_loop(monkeypatch):
    from tinyopt.autograd.ops import recurrent
    from tinyopt.autograd.ops.lstm_sequence import lstm_sequence, lstm_steps
    monkeypatch.setattr(recurrent, "compiled_loops_take", lambda array: False)  # as on CuPy
    same_values_and_gradients(lstm_sequence, lstm_steps, _lstm_layer_inputs())


def _ulps(found, expected):
    """How many float32 values apart ``found`` and ``expected`` are (same sign)."""
    return np.abs(found.view(np.int32).astype(np.int64) - expected.view(np.int32).astype(np.int64))


def test_float32_lstm_step_rounds_tanh_and_sigmoid_within_an_ulp():
    from tinyopt.autograd.ops.recurrent import step_forward
    grid = np.concatenate([np.linspace(-12, 12, 240_001), np.geomspace(1e-45, 1e-3, 2_001),
                           [0, -0.0, -1e-30, 9.5, 10, 10.5, 30, -30, np.inf, -np.inf]])
    grid = grid.astype(np.float32)
    z = np.tile(grid, 4)[None]  # every gate block takes the whole grid
    c = np.random.default_rng(0).normal(size=(1, grid.size)).astype(np.float32)
    values, states = np.empty_like(z), np.empty((2,) + c.shape, dtype=np.float32)
    tanh_c = step_forward(z, c, values, states[0], states[1])
    exact = grid.astype(np.float64)
    with np.errstate(over="ignore"):
        sigmoid = (1 / (1 + np.exp(-exact))).astype(np.float32)
    tanh = np.tanh(exact).astype(np.float32)
    n = grid.size
    for block, expected in ((0, sigmoid), (1, sigmoid), (2, tanh), (3, sigmoid)):
        found = values[0, block * n:(block + 1) * n]
        assert _ulps(found, expected).max() <= 1, f"gate block {block}"
        assert (found == expected).mean() > 0.9999
        assert np.array_equal(np.signbit(found), np.signbit(expected))  # tanh(-0) = -0
    i, f, g, o = (values[0, k * n:(k + 1) * n] for k in range(4))
    cell = f * c[0] + i * g  # NumPy's two roundings, not one fused multiply-add
    assert np.array_equal(states[1, 0], cell, equal_nan=True)
    assert _ulps(tanh_c[0], np.tanh(cell.astype(np.float64)).astype(np.float32)).max() <= 1
    assert np.array_equal(states[0, 0], o * tanh_c[0])
    nan = np.full((1, 4), np.nan, dtype=np.float32)
    assert np.isnan(step_forward(nan, np.zeros((1, 1), np.float32), np.empty_like(nan),
                                 *np.empty((2, 1, 1), np.float32))).all()


def test_float32_lstm_layer_compiled_path_is_as_accurate_as_the_array_path(monkeypatch):
    from tinyopt.autograd.ops import recurrent
    from tinyopt.autograd.ops.lstm_sequence import lstm_sequence
    arrays = _lstm_layer_inputs(8, 16, 32)
    upstream = normal(8, 2, 16, 32, seed=5)

    def run(dtype):
        inputs = [leaf(a.astype(dtype)) for a in arrays]
        states = lstm_sequence(*inputs)
        (states * tinyopt.tensor(upstream.astype(dtype))).sum().backward()
        assert states.dtype == dtype
        return [states.array] + [t.grad.array for t in inputs]
    compiled = run(np.float32)
    exact = run(np.float64)  # float64: NumPy's exact tanh, the reference
    monkeypatch.setattr(recurrent, "compiled_loops_take", lambda array: False)  # as on CuPy
    arrays_only = run(np.float32)
    for a, b, truth in zip(compiled, arrays_only, exact):
        error, array_error = np.abs(a - truth).max(), np.abs(b - truth).max()
        assert error <= 2 * array_error + 1e-7, (error, array_error)
        np.testing.assert_allclose(a, truth, rtol=1e-4, atol=2e-6)


def test_lstm_sequence_op_without_state_gradients_and_second_order():
    from tinyopt.autograd.ops.lstm_sequence import lstm_sequence, lstm_steps
    projected, h0, c0, weight = _lstm_layer_inputs()
    upstream = tinyopt.tensor(normal(5, 2, 3, 4, seed=4))
    found = []
    for fn in (lstm_sequence, lstm_steps):
        p, w = leaf(projected), leaf(weight)
        states = fn(p, tinyopt.tensor(h0), tinyopt.tensor(c0), w)  # the state needs no grad
        gp, gw = grad((states * upstream).sum(), [p, w], create_graph=True)
        found.append([gp.array, gw.array] + [g.array for g in grad((gp * gp).sum() + (
            gw * gw).sum(), [p, w])])  # differentiated once more
    for a, b in zip(*found):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_lstm_second_order_matches_torch():
    torch = pytest.importorskip("torch")
    from nn_torch_helpers import hvp_matches_torch
    tiny, ref = nn.LSTM(3, 4, batch_first=True), torch.nn.LSTM(3, 4, batch_first=True).double()
    tiny.load_state_dict({k: v.detach().numpy().copy() for k, v in ref.state_dict().items()})
    x = normal(2, 5, 3)
    hvp_matches_torch(lambda t: tiny(t)[0], lambda t: ref(t)[0], x)


# ------------------------------------------------------------------- unbind
def test_unbind_slices_and_stacks_the_gradients_back():
    x = leaf(normal(4, 3, 2))
    pieces = x.unbind(1)
    assert len(pieces) == 3 and all(p.shape == (4, 2) for p in pieces)
    np.testing.assert_array_equal(pieces[1].array, x.array[:, 1])
    sum((k + 1) * p.sum() for k, p in enumerate(pieces)).backward()
    np.testing.assert_array_equal(x.grad.array, np.broadcast_to([[1.], [2.], [3.]], (4, 3, 2)))
    second, = grad((x.unbind(0)[2] ** 3).sum(), x, create_graph=True)
    hessian, = grad(second.sum(), x)  # d/dx of 3 x^2 on row 2, zero elsewhere
    np.testing.assert_allclose(hessian.array[2], 6 * x.array[2])
    assert not hessian.array[:2].any() and not hessian.array[3].any()


# ----------------------------------------------------- float32 stays float32
def test_float32_stays_float32_through_every_fast_op_and_its_gradient():
    with backend.default_dtype_as("float32"):
        image = leaf(normal(2, 3, 6, 6).astype(np.float32))
        conv = nn.Conv2d(3, 4, 3, padding=1)
        sequence = leaf(normal(2, 5, 3).astype(np.float32))
        lstm, norm = nn.LSTM(3, 8, batch_first=True), nn.LayerNorm(8)
        pooled = F.max_pool2d(conv(image).relu(), 2)
        hidden = norm(lstm(sequence)[0])
        outputs = [pooled, hidden, F.gelu(hidden), hidden.softmax(-1), hidden.log_softmax(-1)]
        assert all(o.dtype == np.float32 for o in outputs)
        sum(o.sum() for o in outputs).backward()
        tensors = [image, sequence] + list(conv.parameters()) + list(lstm.parameters()) \
            + list(norm.parameters())
        assert all(t.grad.dtype == np.float32 for t in tensors)


# ------------------------------------------------------------ window-maxima kernel
@pytest.mark.parametrize("kernel, stride, dilation", [((2, 2), (2, 2), (1, 1)),
                                                      ((3, 2), (1, 2), (2, 1)),
                                                      ((3, 3), (2, 1), (1, 1)),
                                                      ((5, 4), (1, 1), (1, 1))])  # an array
def test_compiled_window_maxima_equal_the_whole_array_passes(kernel, stride, dilation):
    pytest.importorskip("numba")
    from tinyopt.autograd.ops.pool import whole_array_maxima
    from tinyopt.kernels.pool_kernels import window_maxima
    image = np.round(normal(2, 3, 9, 8), 1)  # rounded: ties inside windows
    image[0, 1, 2, 3] = np.nan
    image[1, 2, :5] = -np.inf  # whole windows of -inf (padding)
    image[1, 0, 4, 2:4], image[1, 0, 5, 2:4] = np.inf, -np.inf  # both infinities: no NaN
    image[0, 0, 6:8, 0:2] = [[-0.0, 0.0], [0.0, -0.0]]  # zeros of both signs tie
    image = image[:, :, :, ::-1]  # a strided view, as pooling may get
    patches = unfold(tinyopt.tensor(image), kernel, stride, dilation).array
    expected, expected_positions = whole_array_maxima(patches, stride, dilation, image.shape[2:])
    for index_dtype in (np.int64, np.int32):  # pooling keeps int32 where positions fit
        best = np.empty(expected.shape)
        positions = np.empty(expected.shape, dtype=index_dtype)
        window_maxima(image, kernel, stride, dilation, best, positions)
        np.testing.assert_array_equal(best, expected)  # NaN where NaN
        np.testing.assert_array_equal(positions, expected_positions)
        read = np.ascontiguousarray(image).reshape(-1)[positions]  # the value at the position,
        np.testing.assert_array_equal(np.signbit(best), np.signbit(read))  # its zero's sign too
    assert np.isnan(best).any() and np.isinf(best).any()
    assert len(np.unique(positions)) > 1


# ------------------------------------------------------------ col2im kernel
@pytest.mark.parametrize("stride, dilation", [((1, 1), (1, 1)), ((2, 1), (1, 2)), ((1, 3), (2, 1))])
def test_compiled_col2im_equals_the_numpy_loop(stride, dilation, monkeypatch):
    pytest.importorskip("numba")
    from tinyopt.autograd.ops import window
    patches = tinyopt.tensor(normal(2, 3, 3, 2, 4, 3))
    size = tuple(s * (o - 1) + d * (k - 1) + 1 + 1 for s, o, d, k in
                 zip(stride, (4, 3), dilation, (3, 2)))  # one spare row and column
    compiled = window.fold(patches, size, stride, dilation).array
    view = tinyopt.tensor(normal(3, 2, 3, 2, 4, 3).transpose(1, 0, 2, 3, 4, 5))  # strided input
    compiled_view = window.fold(view, size, stride, dilation).array
    monkeypatch.setattr(window, "compiled_loops_take", lambda array: False)
    looped = window.fold(patches, size, stride, dilation).array
    np.testing.assert_allclose(compiled, looped, rtol=1e-14, atol=1e-14)
    assert np.abs(compiled).max() > 0 and not compiled[:, :, -1].any()
    np.testing.assert_allclose(compiled_view, window.fold(view, size, stride, dilation).array,
                               rtol=1e-14, atol=1e-14)


# ------------------------------------------------------------ distinct-position scatter
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_compiled_put_of_distinct_positions_equals_numpy(index_dtype):
    pytest.importorskip("numba")
    from tinyopt.autograd.ops.shape import index_add
    rng = np.random.default_rng(0)
    positions = rng.permutation(50)[:20].astype(index_dtype)
    positions[3] = -7  # counted from the end, as NumPy does
    values = tinyopt.tensor(normal(20))
    expected = np.zeros(50)
    expected[positions] = values.array
    np.testing.assert_array_equal(index_add(values, (positions,), (50,), distinct=True).array,
                                  expected)
    positions[5] = 50
    with pytest.raises(IndexError, match=r"positions must be in \[-50, 50\)"):
        index_add(values, (positions,), (50,), distinct=True)
