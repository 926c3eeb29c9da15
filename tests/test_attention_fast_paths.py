"""Fast paths of the attention workload held to the simple paths they replace.

- GELU's float32 compiled loop (``ops/gelu_kernel.py``, a rational erf) against
  the exact formula in float64, to float32 precision, values and slope;
- the embedding backward's row loop (``ops/scatter_kernel.py``) against ``add.at``;
- layer norm's loops (``ops/layer_norm_kernel.py``) against the tensor formula (float64, 1e-10);
- softmax's row loops (``ops/softmax_kernel.py``) against the NumPy formula, masked rows
  included (float64, 1e-12), and the op's create_graph path against its plain one;
- ``linear`` on batched (3-D) input against the same product on the rows
  flattened by hand (float64, 1e-10);
- a float32 transformer block's forward and backward stay float32 throughout.
"""
import math

import numpy
import pytest

import tinyopt
from tinyopt.autograd.ops.gelu_kernel import gelu_with_slope
from tinyopt.bench.workloads import attention


def _exact_gelu(x):
    x = x.astype(numpy.float64)
    cdf = numpy.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.ravel()]).reshape(x.shape)
    pdf = numpy.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return x * cdf, cdf + x * pdf


def test_gelu_float32_loop_matches_the_exact_formula():
    x = numpy.concatenate([numpy.linspace(-9, 9, 20001),
                           numpy.random.default_rng(0).standard_normal(5000) * 3]).astype(
        numpy.float32)
    y, slope = gelu_with_slope(x)
    y_exact, slope_exact = _exact_gelu(x)
    assert y.dtype == slope.dtype == numpy.float32
    numpy.testing.assert_allclose(y, y_exact, rtol=2e-6, atol=1e-6)
    numpy.testing.assert_allclose(slope, slope_exact, rtol=2e-6, atol=1e-6)


def test_gelu_float32_loop_keeps_nan_and_saturates():
    y, slope = gelu_with_slope(numpy.array([numpy.nan, numpy.inf, 30.0, -30.0], numpy.float32))
    assert numpy.isnan(y[0]) and numpy.isnan(slope[0])
    assert y[1] == numpy.inf
    assert y[2] == 30.0 and slope[2] == 1.0 and y[3] == 0.0 and slope[3] == 0.0


def test_gelu_op_float32_gradient_equals_float64_formula():
    x = numpy.random.default_rng(1).standard_normal((4, 5, 6)).astype(numpy.float32)
    a = tinyopt.tensor(x, requires_grad=True)
    g = numpy.random.default_rng(2).standard_normal(x.shape).astype(numpy.float32)
    y = tinyopt.nn.functional.gelu(a)
    y.backward(tinyopt.tensor(g))
    y_exact, slope_exact = _exact_gelu(x)
    assert y.dtype == a.grad.dtype == numpy.float32
    numpy.testing.assert_allclose(y.detach().numpy(), y_exact, rtol=2e-6, atol=1e-6)
    numpy.testing.assert_allclose(a.grad.numpy(), g * slope_exact, rtol=1e-5, atol=1e-6)


def test_gelu_float32_second_order_still_recorded():
    a = tinyopt.tensor(numpy.array([-1.5, 0.3, 2.0], numpy.float32), requires_grad=True)
    first, = tinyopt.autograd.grad(tinyopt.nn.functional.gelu(a).sum(), a, create_graph=True)
    second, = tinyopt.autograd.grad(first.sum(), a)
    x = a.detach().numpy().astype(numpy.float64)
    pdf = numpy.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    numpy.testing.assert_allclose(second.numpy(), pdf * (2 - x * x), rtol=1e-5)


def test_batched_linear_equals_the_product_on_flattened_rows():
    rng = numpy.random.default_rng(3)
    x = tinyopt.tensor(rng.standard_normal((3, 4, 5)), requires_grad=True)
    w = tinyopt.tensor(rng.standard_normal((6, 5)), requires_grad=True)
    b = tinyopt.tensor(rng.standard_normal(6), requires_grad=True)
    g = rng.standard_normal((3, 4, 6))
    out = tinyopt.nn.functional.linear(x, w, b)
    out.backward(tinyopt.tensor(g))
    x2 = x.detach().numpy().reshape(12, 5)
    numpy.testing.assert_allclose(out.detach().numpy(), (x2 @ w.detach().numpy().T
                                                         + b.detach().numpy()).reshape(3, 4, 6),
                                  rtol=1e-10, atol=1e-10)
    g2 = g.reshape(12, 6)
    numpy.testing.assert_allclose(x.grad.numpy(), (g2 @ w.detach().numpy()).reshape(3, 4, 5),
                                  rtol=1e-10, atol=1e-10)
    numpy.testing.assert_allclose(w.grad.numpy(), g2.T @ x2, rtol=1e-10, atol=1e-10)
    numpy.testing.assert_allclose(b.grad.numpy(), g2.sum(axis=0), rtol=1e-10, atol=1e-10)


def test_float32_transformer_stays_float32_forward_and_backward():
    vocabulary = 16
    tinyopt.manual_seed(0)
    model = attention(tinyopt, hidden=16, heads=2, blocks=1, vocabulary=vocabulary, length=8)
    tokens = tinyopt.from_numpy(numpy.random.default_rng(4).integers(0, vocabulary, (3, 8)))
    target = tinyopt.from_numpy(numpy.random.default_rng(5).integers(0, vocabulary, 24))
    logits = model(tokens)
    loss = tinyopt.nn.CrossEntropyLoss()(logits, target)
    nodes = tinyopt.autograd.engine.topological_order([loss])
    assert len(nodes) > 30  # the whole graph, not just the loss
    assert all(node.dtype == numpy.float32 for node in nodes), \
        [(node.grad_fn, node.dtype) for node in nodes if node.dtype != numpy.float32]
    assert loss.dtype == numpy.float32
    named = list(model.named_parameters())
    # grad() hands back the gradients as the pass computed them (backward would cast to .dtype)
    grads = tinyopt.autograd.grad(loss, [p for _, p in named])
    for (name, _), grad in zip(named, grads):
        assert grad.dtype == numpy.float32, name


def _layer_norm_by_formula(x, gamma, beta, g, eps):
    """The tensor-op path of ops/layer_norm.py: forward and gradients in float64 NumPy."""
    mu = x.mean(axis=-1, keepdims=True)
    r = 1 / numpy.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + eps)
    x_hat = (x - mu) * r
    g_hat = g * gamma
    dx = r * (g_hat - g_hat.mean(axis=-1, keepdims=True)
              - x_hat * (g_hat * x_hat).mean(axis=-1, keepdims=True))
    rows = tuple(range(x.ndim - 1))
    return x_hat * gamma + beta, dx, (g * x_hat).sum(axis=rows), g.sum(axis=rows)


def test_layer_norm_loops_equal_the_formula():
    rng = numpy.random.default_rng(6)
    x = rng.standard_normal((3, 4, 7)) * 3 + 1
    gamma, beta, g = rng.standard_normal(7), rng.standard_normal(7), rng.standard_normal(x.shape)
    xt = tinyopt.tensor(x, requires_grad=True)
    wt, bt = tinyopt.tensor(gamma, requires_grad=True), tinyopt.tensor(beta, requires_grad=True)
    out = tinyopt.nn.functional.layer_norm(xt, (7,), wt, bt, eps=1e-5)
    out.backward(tinyopt.tensor(g))
    expected = _layer_norm_by_formula(x, gamma, beta, g, 1e-5)
    for got, want in zip((out.detach(), xt.grad, wt.grad, bt.grad), expected):
        numpy.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-10)


def test_layer_norm_loops_without_affine_and_create_graph_path_agree():
    rng = numpy.random.default_rng(7)
    x = tinyopt.tensor(rng.standard_normal((5, 2, 3)), requires_grad=True)
    g = tinyopt.tensor(rng.standard_normal((5, 2, 3)))
    out = tinyopt.nn.functional.layer_norm(x, (2, 3), None, None, eps=1e-5)
    plain, = tinyopt.autograd.grad(out, x, g, retain_graph=True)
    recorded, = tinyopt.autograd.grad(out, x, g, create_graph=True)  # the tensor formula
    flat = x.detach().numpy().reshape(5, 6)
    y, dx, _, _ = _layer_norm_by_formula(flat, numpy.ones(6), numpy.zeros(6),
                                         g.numpy().reshape(5, 6), 1e-5)
    numpy.testing.assert_allclose(out.detach().numpy().reshape(5, 6), y, rtol=1e-10, atol=1e-10)
    numpy.testing.assert_allclose(plain.numpy().reshape(5, 6), dx, rtol=1e-10, atol=1e-10)
    numpy.testing.assert_allclose(recorded.detach().numpy(), plain.numpy(), rtol=1e-10,
                                  atol=1e-10)


def test_index_add_row_loop_equals_add_at():
    from tinyopt.autograd.ops.shape import index_add
    rng = numpy.random.default_rng(8)
    rows = rng.integers(-5, 5, (6, 7))  # an embedding lookup (the row loop): repeats add up
    picks = (numpy.arange(12), rng.integers(0, 3, 12))  # cross-entropy's gather
    mask = rng.standard_normal((4, 3)) > 0
    for index, shape, value_shape in ((rows, (5, 4), (6, 7, 4)), (picks, (12, 3), (12,)),
                                      (mask, (4, 3), (int(mask.sum()),))):
        values = rng.standard_normal(value_shape)
        expected = numpy.zeros(shape)
        numpy.add.at(expected, index, values)
        got = index_add(tinyopt.tensor(values), index, shape)
        assert got.dtype == numpy.float64
        numpy.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-10)
    single = index_add(tinyopt.tensor(numpy.ones((6, 7, 4), numpy.float32)), rows, (5, 4))
    assert single.dtype == numpy.float32
    numpy.testing.assert_array_equal(single.numpy()[:, 0], numpy.bincount(rows.ravel() % 5,
                                                                          minlength=5))
    with pytest.raises(IndexError, match="row indices"):
        index_add(tinyopt.tensor(numpy.ones((2, 4))), numpy.array([0, 5]), (5, 4))


@pytest.mark.parametrize("shapes", [((2, 3, 4, 5), (2, 3, 5, 6)), ((3, 4, 5), (5, 2)),
                                    ((1, 4, 5), (3, 5, 2)), ((5,), (2, 5, 3))])
def test_matmul_plain_backward_on_arrays_equals_the_recorded_one(shapes):
    rng = numpy.random.default_rng(9)
    a = tinyopt.tensor(rng.standard_normal(shapes[0]), requires_grad=True)
    b = tinyopt.tensor(rng.standard_normal(shapes[1]), requires_grad=True)
    out = a @ b
    g = tinyopt.tensor(rng.standard_normal(out.shape))
    plain = tinyopt.autograd.grad(out, [a, b], g, retain_graph=True)  # on arrays
    recorded = tinyopt.autograd.grad(out, [a, b], g, create_graph=True)  # in tensor ops
    for p, r, t in zip(plain, recorded, (a, b)):
        assert p.shape == t.shape and not p.requires_grad and r.requires_grad
        numpy.testing.assert_allclose(p.numpy(), r.detach().numpy(), rtol=1e-10, atol=1e-10)


def test_leaves_adopt_fresh_gradients_without_sharing_or_drift():
    rng = numpy.random.default_rng(10)
    a = tinyopt.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    b = tinyopt.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = tinyopt.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    loss = (tinyopt.nn.functional.linear(a + b, w) ** 2).sum()
    for _ in range(3):  # each pass adds the same gradient; nothing saved may be written
        loss.backward(retain_graph=True)
    h = (a + b).detach().numpy()
    g = 2 * h @ w.detach().numpy().T
    numpy.testing.assert_allclose(w.grad.numpy(), 3 * g.T @ h, rtol=1e-10)
    numpy.testing.assert_allclose(a.grad.numpy(), 3 * g @ w.detach().numpy(), rtol=1e-10)
    assert not numpy.shares_memory(a.grad.numpy(), b.grad.numpy())
    numpy.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10)


def test_malloc_setting_applies_on_glibc_and_can_be_refused(monkeypatch):
    import ctypes.util
    from tinyopt import allocator
    monkeypatch.setenv("TINYOPT_MALLOC", "system")
    assert allocator.reuse_freed_memory() is False
    monkeypatch.delenv("TINYOPT_MALLOC")
    applied = allocator.reuse_freed_memory()
    if ctypes.util.find_library("c") == "libc.so.6":  # glibc: mallopt takes both settings
        assert applied is True


def _softmax_formula(a, g):
    e = numpy.exp(a - a.max(axis=-1, keepdims=True))
    y = e / e.sum(axis=-1, keepdims=True)
    return y, y * (g - (g * y).sum(axis=-1, keepdims=True))


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 4, 6, 6), (1, 1)])
def test_softmax_row_loops_equal_the_formula_with_masked_entries(shape):
    from tinyopt.autograd.ops.softmax_kernel import softmax_last_axis, softmax_last_axis_backward
    rng = numpy.random.default_rng(1)
    a = rng.standard_normal(shape) * 4
    if len(shape) == 4:  # a causal mask: -inf above the diagonal, as attention's
        a = numpy.where(numpy.triu(numpy.ones(shape[-2:], bool), 1), -numpy.inf, a)
    g = rng.standard_normal(shape)
    y, da = softmax_last_axis(a), softmax_last_axis_backward(g, softmax_last_axis(a))
    y_formula, da_formula = _softmax_formula(a, g)
    numpy.testing.assert_allclose(y, y_formula, rtol=1e-12, atol=1e-15)
    numpy.testing.assert_allclose(da, da_formula, rtol=1e-12, atol=1e-15)
    a32 = a.astype(numpy.float32)
    assert softmax_last_axis(a32).dtype == numpy.float32
    numpy.testing.assert_allclose(softmax_last_axis(a32), y_formula, rtol=1e-5, atol=1e-7)


def test_softmax_op_plain_backward_equals_the_recorded_one():
    rng = numpy.random.default_rng(2)
    x = tinyopt.tensor(rng.standard_normal((3, 4, 5)), requires_grad=True)
    weights = tinyopt.tensor(rng.standard_normal((3, 4, 5)))
    (x.softmax(-1) * weights).sum().backward()
    with tinyopt.enable_grad():
        recorded, = tinyopt.grad((x.softmax(-1) * weights).sum(), x, create_graph=True)
    assert recorded.requires_grad  # the tensor formula, differentiable again
    numpy.testing.assert_allclose(x.grad.array, recorded.array, rtol=1e-12, atol=1e-15)
    strided = tinyopt.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    y = strided.transpose(0, 1).softmax(-1)  # a non-contiguous input takes the loops too
    numpy.testing.assert_allclose(y.array, _softmax_formula(strided.array.T, 0 * y.array)[0],
                                  rtol=1e-12)
