"""The autograd engine: backward, grad, no_grad and gradcheck's reports.

Iterative backward through long chains, gradient accumulation, freed graphs
and retain_graph, non-scalar outputs, diamond graphs, grad() with unused
inputs and several outputs, no_grad/enable_grad as context and decorator, and
gradcheck's failure message and argument checks.
"""
import re

import numpy as np
import pytest

import tinyopt
from tinyopt import Tensor, gradcheck
from tinyopt.autograd import GradcheckError, grad
from tinyopt.autograd.tensor import make_result

from autograd_helpers import leaf


# ------------------------------------------------------------------- backward
def test_long_chain_backward_is_iterative():
    x = leaf([0.5, -0.25])
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001 ** 5000] * 2, rtol=1e-10)


def test_long_chain_grad_with_create_graph():
    x = leaf([0.3])
    y = x
    for _ in range(2500):
        y = (y * 0.999).tanh() + y * 0.001
    g, = grad(y.sum(), x, create_graph=True)
    h, = grad(g.sum(), x)
    assert np.all(np.isfinite(h.array))


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    grad_array = x.grad
    (3 * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 7.0])
    assert x.grad is grad_array, "accumulation must be in place (flat-buffer views)"


def test_second_backward_through_freed_graph_raises():
    x = leaf([1.0, 2.0])
    loss = (x.exp() * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    first = x.grad.array.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * first)
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_backward_on_non_scalar_needs_a_gradient():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2, 2\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 2\)"):
        y.backward(np.ones(3))
    y.backward(np.array([[1.0, 0.0], [0.0, 1.0]]))
    np.testing.assert_array_equal(x.grad, [[2.0, 0.0], [0.0, 2.0]])


def test_backward_of_one_element_non_scalar_is_allowed():
    x = leaf([3.0])
    (x * x).backward()
    np.testing.assert_array_equal(x.grad, [6.0])


def test_backward_without_graph_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(np.ones(2)).sum().backward()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        tinyopt.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(np.arange(3)).requires_grad_()
    x = tinyopt.tensor([1.5, 2.5], requires_grad=True)
    assert not x.long().requires_grad
    assert not x.to("int32").requires_grad, "casts to int leave the graph"
    assert x.to("float64").requires_grad


def test_diamond_graph_sums_both_paths():
    x = leaf([1.0, -2.0, 0.5])
    a = x * 3
    b = x.exp()
    y = (a * b + a - b * x).sum()  # x reaches y through a, b and directly
    y.backward()
    ex = np.exp(x.array)
    np.testing.assert_allclose(x.grad, 3 * ex + 3 * x.array * ex + 3 - ex - x.array * ex)
    z = leaf([2.0])
    (z * z * z).backward()  # the same tensor used twice in one op and again
    np.testing.assert_allclose(z.grad, [12.0])


def test_leaf_gradient_keeps_the_leaf_dtype():
    x = tinyopt.tensor([1.0, 2.0], requires_grad=True)
    (x * np.ones(2)).sum().backward()  # float64 constant promotes the output
    assert x.grad.dtype == np.float32


def test_intermediate_tensors_get_no_grad():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.sum().backward()
    assert y.grad is None and not y.is_leaf and x.is_leaf


# ------------------------------------------------------------------------ grad
def test_grad_returns_instead_of_accumulating():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    gx, gw = grad((x * w).sum(), [x, w])
    np.testing.assert_array_equal(gx.array, [3.0, 4.0])
    np.testing.assert_array_equal(gw.array, [1.0, 2.0])
    assert x.grad is None and w.grad is None


def test_grad_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match=r"inputs\[1\].*allow_unused"):
        grad((x * 2).sum(), [x, unused])
    gx, gu = grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_array_equal(gx.array, [2.0])


def test_grad_of_intermediate_and_several_outputs():
    x = leaf([1.0, 2.0])
    h = x * x
    out1, out2 = h.sum(), (h * 3).sum()
    gh, = grad([out1, out2], h, retain_graph=True)
    np.testing.assert_array_equal(gh.array, [4.0, 4.0])
    gx, = grad([h, out1], x, grad_outputs=[np.array([1.0, 0.0]), None])
    np.testing.assert_array_equal(gx.array, [2.0 + 2.0, 4.0])
    with pytest.raises(ValueError, match="grad_outputs has 1 entries for 2"):
        grad([out1, out2], x, grad_outputs=[None])


def test_grad_input_must_require_grad():
    with pytest.raises(RuntimeError, match=r"inputs\[0\] does not require grad"):
        grad(leaf([1.0]).sum(), Tensor(np.ones(1)))


# --------------------------------------------------------------------- no_grad
def test_no_grad_builds_no_graph():
    x = leaf([1.0, 2.0])
    with tinyopt.no_grad():
        y = (x * 2).exp().sum()
        assert not tinyopt.is_grad_enabled()
        with tinyopt.enable_grad():
            z = x * 2
    assert tinyopt.is_grad_enabled()
    assert not y.requires_grad and y._parents == () and y.is_leaf
    assert z.requires_grad


def test_no_grad_as_decorator_with_and_without_parentheses():
    x = leaf([1.0])

    @tinyopt.no_grad()
    def double(t):
        return t * 2

    @tinyopt.no_grad
    def triple(t):
        return t * 3

    assert not double(x).requires_grad and not triple(x).requires_grad
    assert triple.__name__ == "triple"
    assert (x * 2).requires_grad


def test_no_grad_restores_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with tinyopt.no_grad():
            1 / 0
    assert tinyopt.is_grad_enabled()


# ------------------------------------------------------------------- gradcheck
def _square_with_a_wrong_gradient(x):
    """x^2 whose backward is off by one at element (1, 2): the bug gradcheck must find."""
    out = make_result(x.array ** 2, (x,), None, "bad_square")
    error = np.zeros(x.shape)
    error[1, 2] = 1.0
    if out.requires_grad:
        out._backward = lambda g: (g * 2 * x + g * error,)
    return out


def test_gradcheck_failure_names_input_index_expected_and_got():
    rng = np.random.default_rng(0)
    a, b = leaf(rng.normal(size=(2, 3))), leaf(rng.normal(size=(2, 3)))
    assert gradcheck(lambda u, v: u * v, [a, b])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda u, v: u * _square_with_a_wrong_gradient(v), [a, b])
    message = str(info.value)
    assert "input 1" in message and "index (1, 2)" in message
    # reconstruct the numbers gradcheck reports: r is its seeded projection
    r = np.random.default_rng(0).standard_normal((2, 3))
    expected = r[1, 2] * a.array[1, 2] * 2 * b.array[1, 2]
    got = expected + r[1, 2] * a.array[1, 2]
    found = re.search(r"expected\)? (\S+), analytical \(got\) (\S+?);", message)
    assert found, message
    np.testing.assert_allclose(float(found.group(1)), expected, rtol=1e-6)
    np.testing.assert_allclose(float(found.group(2)), got, rtol=1e-9)
    assert gradcheck(lambda u, v: u * _square_with_a_wrong_gradient(v), [a, b],
                     raise_exception=False) is False


def test_gradcheck_rejects_float32_and_no_inputs():
    with pytest.raises(ValueError, match="input 0 has dtype float32"):
        gradcheck(lambda t: t * 2, [tinyopt.tensor([1.0], requires_grad=True)])
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * 2, [Tensor(np.ones(2))])


def test_wrongly_shaped_gradient_is_reported_by_the_engine():
    x = leaf([1.0, 2.0])
    out = make_result(x.array * 2, (x,), None, "bad_shape")
    out._backward = lambda g: (g.sum(),)
    with pytest.raises(RuntimeError, match=r"bad_shape.*shape \(\).*shape \(2,\)"):
        out.sum().backward()


def test_intermediate_gradients_are_dropped_once_used_but_wanted_ones_kept():
    from tinyopt.autograd import engine
    x = leaf([0.5, -1.0, 2.0])
    y = x * 3.0
    z = y.exp()
    loss = (z * y).sum()
    seed = Tensor(np.ones(()))
    _, grads, _, _ = engine._propagate([loss], [seed], True, False)
    assert id(x) in grads and id(y) not in grads and id(z) not in grads
    # grad's inputs keep theirs, intermediate or leaf, and they are right
    gy, gz, gx = grad(loss, [y, z, x], retain_graph=True)
    e = np.exp(3.0 * x.array)
    np.testing.assert_allclose(gz.array, 3.0 * x.array, rtol=1e-12)
    np.testing.assert_allclose(gy.array, e * (1 + 3.0 * x.array), rtol=1e-12)
    np.testing.assert_allclose(gx.array, 3.0 * gy.array, rtol=1e-12)
    loss.backward()  # a shared upstream gradient is never summed into in place
    np.testing.assert_allclose(x.grad.array, gx.array, rtol=1e-12)
