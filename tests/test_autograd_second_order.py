"""Second derivatives: Hessian-vector products via ``grad(..., create_graph=True)``.

An HVP is checked three ways: against the exact Hessian of a quadratic form,
against central differences of gradients, (g(w + h v) - g(w - h v)) / 2h,
and, for each unary op, against its analytic second derivative.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinyopt
from tinyopt import Tensor, gradcheck
from tinyopt.autograd import grad
from tinyopt.autograd.ops import elementwise as ew
from tinyopt.autograd.ops.shape import pad
from tinyopt.autograd.ops.window import unfold

quick = settings(deadline=None, max_examples=25)


def leaf(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def hvp(loss_fn, params, vectors):
    """H v for the loss at ``params``, by differentiating <grad, v>."""
    grads = grad(loss_fn(*params), params, create_graph=True)
    dot = sum((g * v).sum() for g, v in zip(grads, vectors))
    return [h.array for h in grad(dot, params)]


def finite_difference_hvp(loss_fn, params, vectors, h=1e-5):
    """(g(w + h v) - g(w - h v)) / 2h with gradients from autograd."""
    def gradients(sign):
        shifted = [leaf(p.array + sign * h * v) for p, v in zip(params, vectors)]
        return [g.array for g in grad(loss_fn(*shifted), shifted)]
    plus, minus = gradients(1), gradients(-1)
    return [(a - b) / (2 * h) for a, b in zip(plus, minus)]


def test_quadratic_form_hessian_is_exact():
    rng = np.random.default_rng(0)
    A, b = rng.normal(size=(5, 5)), rng.normal(size=5)
    x, v = leaf(rng.normal(size=5)), rng.normal(size=5)

    def f(x):
        return 0.5 * (x @ (A @ x)) + (b * x).sum() + 3.0

    g, = grad(f(x), x, create_graph=True)
    np.testing.assert_allclose(g.array, 0.5 * (A + A.T) @ x.array + b, rtol=1e-13)
    hv, = hvp(f, [x], [v])
    np.testing.assert_allclose(hv, 0.5 * (A + A.T) @ v, rtol=1e-13, atol=1e-14)
    # the full Hessian, row by row, from HVPs with the unit vectors
    H = np.stack([hvp(f, [x], [e])[0] for e in np.eye(5)])
    np.testing.assert_allclose(H, 0.5 * (A + A.T), rtol=1e-13, atol=1e-14)


def test_hessian_of_a_cubic_is_linear_in_x():
    x, v = leaf([1.0, -2.0, 0.5]), np.array([0.3, 1.0, -1.0])
    hv, = hvp(lambda t: (t ** 3).sum() + (t[0] * t[1] * t[2]), [x], [v])
    a, b, c = x.array
    H = np.diag(6 * x.array) + np.array([[0, c, b], [c, 0, a], [b, a, 0]])
    np.testing.assert_allclose(hv, H @ v, rtol=1e-13)


def _mlp_loss(X, y):
    rows = np.arange(len(y))

    def loss(W1, b1, W2):
        hidden = (X @ W1 + b1).tanh()
        logits = hidden @ W2
        probs = logits.softmax(-1)
        entropy = -(probs * logits.log_softmax(-1)).sum(-1).mean()
        return -logits.log_softmax(-1)[rows, y].mean() + 0.1 * entropy
    return loss


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mlp_hvp_matches_finite_differences_of_gradients(seed):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8)
    params = [leaf(rng.normal(size=(4, 6))), leaf(rng.normal(size=6)),
              leaf(rng.normal(size=(6, 3)))]
    vectors = [rng.normal(size=p.shape) for p in params]
    loss = _mlp_loss(X, y)
    exact = hvp(loss, params, vectors)
    approx = finite_difference_hvp(loss, params, vectors)
    for e, a in zip(exact, approx):
        np.testing.assert_allclose(e, a, rtol=1e-6, atol=1e-8)
    # the HVP is linear in v and symmetric: <u, H v> == <v, H u>
    others = [rng.normal(size=p.shape) for p in params]
    hu = hvp(loss, params, others)
    uhv = sum((u * h).sum() for u, h in zip(others, exact))
    vhu = sum((v * h).sum() for v, h in zip(vectors, hu))
    np.testing.assert_allclose(uhv, vhu, rtol=1e-10)


def test_mlp_full_hessian_is_symmetric_and_matches_finite_differences():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 2, size=5)
    W2 = rng.normal(size=(4, 2))
    loss = _mlp_loss(X, y)
    W1, b1 = leaf(rng.normal(size=(3, 4))), leaf(rng.normal(size=4))
    n = W1.numel()
    H = np.stack([hvp(lambda w: loss(w, b1.detach(), Tensor(W2)), [W1],
                      [e.reshape(3, 4)])[0].reshape(-1) for e in np.eye(n)])
    np.testing.assert_allclose(H, H.T, rtol=1e-10, atol=1e-12)
    F = np.stack([finite_difference_hvp(lambda w: loss(w, b1.detach(), Tensor(W2)), [W1],
                                        [e.reshape(3, 4)])[0].reshape(-1) for e in np.eye(n)])
    np.testing.assert_allclose(H, F, rtol=1e-6, atol=1e-8)


def test_third_derivative():
    x = leaf([0.7])
    g, = grad((x ** 4).sum(), x, create_graph=True)
    h, = grad(g.sum(), x, create_graph=True)
    t, = grad(h.sum(), x)
    np.testing.assert_allclose([g.array, h.array, t.array], [[4 * 0.7 ** 3], [12 * 0.49], [24 * 0.7]])


def test_derivatives_of_sin_and_cos_cycle():
    """sin' = cos, cos' = -sin: four create_graph rounds bring each back to itself."""
    values = np.linspace(-3, 3, 7)
    for function, cycle in (("sin", (np.cos, lambda v: -np.sin(v), lambda v: -np.cos(v), np.sin)),
                            ("cos", (lambda v: -np.sin(v), lambda v: -np.cos(v), np.sin, np.cos))):
        x = leaf(values)
        y = getattr(x, function)()
        for expected in cycle:
            y, = grad(y.sum(), x, create_graph=True)
            np.testing.assert_allclose(y.array, expected(values), rtol=1e-12, atol=1e-12)


def test_create_graph_keeps_first_gradients_in_the_graph_and_backward_accumulates():
    x = leaf([1.0, 2.0])
    g, = grad((x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad
    (g * g).sum().backward()  # d/dx sum((3x^2)^2) = 36 x^3
    np.testing.assert_allclose(x.grad, 36 * x.array ** 3)
    g_plain, = grad((x ** 3).sum(), x)
    assert not g_plain.requires_grad


# -------------------------------------------------- analytic second derivatives
def _phi(x):
    return np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _sig(x):
    return 1 / (1 + np.exp(-x))


UNARY_SECOND = {
    "exp": (lambda t: t.exp(), np.exp, "any"),
    "log": (lambda t: t.log(), lambda x: -1 / x ** 2, "positive"),
    "sqrt": (lambda t: t.sqrt(), lambda x: -0.25 * x ** -1.5, "positive"),
    "tanh": (lambda t: t.tanh(), lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2), "any"),
    "sin": (lambda t: t.sin(), lambda x: -np.sin(x), "any"),
    "cos": (lambda t: t.cos(), lambda x: -np.cos(x), "any"),
    "sigmoid": (lambda t: t.sigmoid(), lambda x: _sig(x) * (1 - _sig(x)) * (1 - 2 * _sig(x)),
                "any"),
    "relu": (lambda t: t.relu(), lambda x: 0 * x, "nonzero"),
    "abs": (lambda t: abs(t), lambda x: 0 * x, "nonzero"),
    "neg": (lambda t: -t, lambda x: 0 * x, "any"),
    "erf": (ew.erf, lambda x: -4 * x / math.sqrt(math.pi) * np.exp(-x * x), "any"),
    "gelu": (ew.gelu, lambda x: _phi(x) * (2 - x * x), "any"),
    "softplus": (ew.softplus, lambda x: _sig(x) * (1 - _sig(x)), "any"),
    "softplus_beta2": (lambda t: ew.softplus(t, beta=2.0),
                       lambda x: 2 * _sig(2 * x) * (1 - _sig(2 * x)), "any"),
    "square": (lambda t: t ** 2, lambda x: 2 + 0 * x, "any"),
    "cube": (lambda t: t ** 3, lambda x: 6 * x, "any"),
    "pow_half": (lambda t: t ** 0.5, lambda x: -0.25 * x ** -1.5, "positive"),
    "reciprocal": (lambda t: 1 / t, lambda x: 2 / x ** 3, "nonzero"),
    "rpow": (lambda t: 3.0 ** t, lambda x: math.log(3) ** 2 * 3.0 ** x, "any"),
    "clip": (lambda t: t.clip(-0.5, 0.5) * t, lambda x: np.where(np.abs(x) < 0.5, 2.0, 0.0),
             "nonzero"),
}


@pytest.mark.parametrize("name", sorted(UNARY_SECOND))
def test_double_backward_of_unary_ops(name):
    function, second, domain = UNARY_SECOND[name]
    rng = np.random.default_rng(0)
    if domain == "positive":
        values = rng.uniform(0.3, 3.0, size=7)
    elif domain == "nonzero":
        values = rng.choice([-1, 1], size=7) * rng.uniform(0.2, 2.0, size=7)
        values[np.abs(np.abs(values) - 0.5) < 0.05] += 0.1
    else:
        values = rng.uniform(-3, 3, size=7)
    x = leaf(values)
    g, = grad(function(x).sum(), x, create_graph=True)
    if not g.requires_grad:  # the first derivative is locally constant
        np.testing.assert_array_equal(second(values), 0)
        return
    h, = grad(g.sum(), x, allow_unused=True)
    h = np.zeros(7) if h is None else h.array
    np.testing.assert_allclose(h, second(values), rtol=1e-10, atol=1e-12)


def test_double_backward_of_gelu_tanh_matches_finite_differences():
    x = leaf(np.linspace(-3, 3, 9))
    function = lambda t: ew.gelu(t, approximate="tanh")  # noqa: E731
    exact, = hvp(lambda t: function(t).sum(), [x], [np.ones(9)])
    approx, = finite_difference_hvp(lambda t: function(t).sum(), [x], [np.ones(9)])
    np.testing.assert_allclose(exact, approx, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------- gradgradcheck, broadly
def _gradgradcheck(function, inputs, seed=0):
    """gradcheck of the gradient map x -> d<f(x), r>/dx, itself built by autograd."""
    r = np.random.default_rng(seed).normal(size=function(*inputs).shape)

    def first_gradients(*xs):
        with tinyopt.enable_grad():  # gradcheck's finite differences run under no_grad
            return grad((function(*xs) * r).sum(), xs, create_graph=True, allow_unused=True)

    return gradcheck(lambda *xs: tuple(g for g in first_gradients(*xs) if g is not None
                                       and g.requires_grad) or (xs[0] * 0.0,), inputs)


SECOND_ORDER_OPS = {
    "div": (lambda a, b: a / b, [(2, 3), (3,)]),
    "mul_broadcast": (lambda a, b: a * b * a, [(2, 1, 3), (4, 1)]),
    "pow_tensor": (lambda a, b: a.abs() ** b, [(3,), (2, 3)]),
    "matmul": (lambda a, b: (a @ b).tanh(), [(2, 3, 4), (4, 2)]),
    "softmax": (lambda a: a.softmax(-1), [(2, 4)]),
    "log_softmax": (lambda a: a.log_softmax(0), [(3, 2)]),
    "logsumexp": (lambda a: a.logsumexp((0, 1)), [(2, 3)]),
    "var": (lambda a: a.var(1), [(2, 4)]),
    "std": (lambda a: a.std(0, correction=0), [(3, 2)]),
    "mean_square": (lambda a: a.mean(0) ** 2, [(3, 2)]),
    "max_dim": (lambda a: a.max(1).values ** 2, [(3, 4)]),
    "getitem": (lambda a: a[np.array([0, 2, 2])] ** 2, [(3, 2)]),
    "gather": (lambda a: a.gather(1, Tensor(np.array([[1, 1], [0, 2]]))) ** 3, [(2, 3)]),
    "cat_pad": (lambda a, b: pad(tinyopt.cat([a, b * a]), (1, 0)) ** 2, [(2, 2), (2, 2)]),
    "where": (lambda a, b: tinyopt.where(np.array([True, False, True]), a * b, b * b),
              [(3,), (2, 3)]),
    "unfold": (lambda x: unfold(x * x, (2, 2), (1, 1)), [(1, 1, 3, 3)]),
    "gelu_softplus": (lambda a: ew.softplus(ew.gelu(a), beta=1.5), [(4,)]),
    "sigmoid_erf": (lambda a: ew.erf(a.sigmoid()), [(4,)]),
    "sin_cos": (lambda a, b: (a * b).sin() * b.cos(), [(2, 3), (3,)]),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER_OPS))
def test_gradgradcheck(name):
    function, shapes = SECOND_ORDER_OPS[name]
    rng = np.random.default_rng(1)
    inputs = [leaf(rng.uniform(0.3, 1.5, size=s) * rng.choice([-1, 1], size=s)) for s in shapes]
    if name == "max_dim":
        inputs = [leaf(rng.permutation(12).reshape(3, 4) * 0.5)]
    assert _gradgradcheck(function, inputs)


@quick
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       st.integers(0, 2**32 - 1))
def test_hvp_of_broadcast_products_matches_finite_differences(shapes_pair, seed):
    (shape_a, shape_b), _ = shapes_pair
    rng = np.random.default_rng(seed)
    a, b = leaf(rng.normal(size=shape_a)), leaf(rng.normal(size=shape_b))
    u, w = rng.normal(size=shape_a), rng.normal(size=shape_b)

    def loss(a, b):
        return ((a * b).tanh() + (a - b).exp() * 0.1).sum()

    exact = hvp(loss, [a, b], [u, w])
    approx = finite_difference_hvp(loss, [a, b], [u, w])
    for e, f in zip(exact, approx):
        np.testing.assert_allclose(e, f, rtol=1e-5, atol=1e-7)
