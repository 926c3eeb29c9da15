"""The engine and the Tensor's contract: backward, grad, no_grad, errors, dtypes."""
import re

import numpy as np
import pytest

import tinyopt
from tinyopt import Tensor, backend, gradcheck
from tinyopt.autograd import GradcheckError, grad
from tinyopt.autograd.ops.reduce import MaxMin
from tinyopt.autograd.ops.shape import pad
from tinyopt.autograd.tensor import make_result


def leaf(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


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
    assert np.all(np.isfinite(h.data))


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
    first = x.grad.copy()
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
    ex = np.exp(x.data)
    np.testing.assert_allclose(x.grad, 3 * ex + 3 * x.data * ex + 3 - ex - x.data * ex)
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
    np.testing.assert_array_equal(gx.data, [3.0, 4.0])
    np.testing.assert_array_equal(gw.data, [1.0, 2.0])
    assert x.grad is None and w.grad is None


def test_grad_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match=r"inputs\[1\].*allow_unused"):
        grad((x * 2).sum(), [x, unused])
    gx, gu = grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_array_equal(gx.data, [2.0])


def test_grad_of_intermediate_and_several_outputs():
    x = leaf([1.0, 2.0])
    h = x * x
    out1, out2 = h.sum(), (h * 3).sum()
    gh, = grad([out1, out2], h, retain_graph=True)
    np.testing.assert_array_equal(gh.data, [4.0, 4.0])
    gx, = grad([h, out1], x, grad_outputs=[np.array([1.0, 0.0]), None])
    np.testing.assert_array_equal(gx.data, [2.0 + 2.0, 4.0])
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


# ------------------------------------------------------------- names & aliases
def test_numpy_aliases_agree_with_torch_names():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4) % 7)
    for name in ("sum", "mean", "var", "std"):
        a = getattr(x, name)(dim=1, keepdim=True)
        b = getattr(x, name)(axis=1, keepdims=True)
        np.testing.assert_array_equal(a.data, b.data)
        assert a.shape == (2, 1, 4)
    np.testing.assert_array_equal(x.sum(axis=(0, 2)).data, x.sum((0, 2)).data)
    np.testing.assert_array_equal(x.max(axis=-1).values.data, x.max(-1).values.data)
    np.testing.assert_array_equal(x.argmax(axis=2).data, x.argmax(2).data)
    with pytest.raises(TypeError, match="either dim or its alias axis"):
        x.sum(dim=0, axis=0)


def test_max_with_dim_returns_values_and_indices():
    x = Tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))
    result = x.max(1)
    assert isinstance(result, MaxMin) and isinstance(result, tuple)
    values, indices = result
    np.testing.assert_array_equal(values.data, [5.0, 7.0])
    np.testing.assert_array_equal(result.indices.data, [1, 0])
    assert result.indices.dtype == np.int64
    assert x.min(dim=0, keepdim=True).values.shape == (1, 3)
    assert isinstance(x.max(), Tensor) and x.max().item() == 7.0


def test_scalar_tensors_accept_dim_zero_and_minus_one():
    x = leaf(3.0)
    assert x.sum(0).item() == 3.0 and x.sum(-1).shape == ()
    values, indices = x.max(0)
    assert values.item() == 3.0 and indices.item() == 0
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.sum(1)
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 2"):
        leaf(np.ones((2, 2))).sum(2)


# -------------------------------------------------------------- shape errors
@pytest.mark.parametrize("op, call", [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
])
def test_broadcast_mismatch_names_op_and_shapes(op, call):
    a, b = leaf(np.ones((2, 3))), leaf(np.ones((4,)))
    with pytest.raises(ValueError, match=rf"{op}.*\(2, 3\).*\(4,\)"):
        call(a, b)


def test_matmul_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        leaf(np.ones((2, 3))) @ leaf(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"matmul.*\(3,\).*\(4,\)"):
        leaf(np.ones(3)) @ leaf(np.ones(4))
    with pytest.raises(ValueError, match=r"matmul.*\(2, 2, 3\).*\(3, 3, 1\)"):
        leaf(np.ones((2, 2, 3))) @ leaf(np.ones((3, 3, 1)))
    with pytest.raises(ValueError, match=r"matmul.*\(\)"):
        leaf(2.0) @ leaf(np.ones(3))


def test_cat_stack_reshape_pad_mismatches_name_op_and_shapes():
    with pytest.raises(ValueError, match=r"cat.*\(2, 3\).*\(2, 4\)"):
        tinyopt.cat([leaf(np.ones((2, 3))), leaf(np.ones((2, 4)))], dim=0)
    with pytest.raises(ValueError, match=r"stack.*\(2,\).*\(3,\)"):
        tinyopt.stack([leaf(np.ones(2)), leaf(np.ones(3))])
    with pytest.raises(ValueError, match=r"reshape.*\(4, 2\).*\(2, 3\)"):
        leaf(np.ones((2, 3))).reshape(4, 2)
    with pytest.raises(ValueError, match=r"expand.*\(2, 3\).*\(4, 3\)"):
        leaf(np.ones((2, 3))).expand(4, 3)
    with pytest.raises(ValueError, match="pad"):
        pad(leaf(np.ones(2)), (1, 1, 1, 1))
    with pytest.raises(ValueError, match="permute"):
        leaf(np.ones((2, 3))).permute(0, 0)
    with pytest.raises(ValueError, match="gather"):
        leaf(np.ones((2, 3))).gather(0, Tensor(np.zeros(2, dtype=np.int64)))


def test_where_mismatch_names_shapes():
    with pytest.raises(ValueError, match=r"where.*\(2,\).*\(3,\)"):
        tinyopt.where(np.array([True, False]), leaf(np.ones(2)), leaf(np.ones(3)))


# ------------------------------------------------------------------- gradcheck
def _square_with_a_wrong_gradient(x):
    """x^2 whose backward is off by one at element (1, 2): the bug gradcheck must find."""
    out = make_result(x.data ** 2, (x,), None, "bad_square")
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
    expected = r[1, 2] * a.data[1, 2] * 2 * b.data[1, 2]
    got = expected + r[1, 2] * a.data[1, 2]
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
    out = make_result(x.data * 2, (x,), None, "bad_shape")
    out._backward = lambda g: (g.sum(),)
    with pytest.raises(RuntimeError, match=r"bad_shape.*shape \(\).*shape \(2,\)"):
        out.sum().backward()


# --------------------------------------------------------------------- dtypes
def test_tensor_factory_dtypes():
    assert tinyopt.tensor([1.0, 2.0]).dtype == np.float32
    assert tinyopt.tensor(1.5).dtype == np.float32
    assert tinyopt.tensor([1, 2]).dtype == np.int64
    assert tinyopt.tensor([True]).dtype == np.bool_
    assert tinyopt.tensor(np.ones(2)).dtype == np.float64, "arrays keep their dtype"
    assert tinyopt.tensor([1, 2], dtype="float64").dtype == np.float64
    with backend.default_dtype_as("float64"):
        assert tinyopt.tensor([1.0]).dtype == np.float64
    assert tinyopt.tensor([1.0]).dtype == np.float32


def test_float32_survives_python_and_numpy_scalars():
    x = tinyopt.tensor([[1.0, 2.0], [0.5, 3.0]], requires_grad=True)
    results = [x * 0.5, 0.5 * x, x / 3, 3 / x, x - 1, 1 - x, x + 2, x ** 2, 2 ** x, x ** 0.5,
               -x, abs(x), x * np.float64(0.5), x / np.sqrt(np.float64(2.0)), x + np.int64(1),
               x.mean(), x.var(), x.std(), x.sum(0), x.max(), x.max(1).values,
               x.exp(), x.log(), x.sqrt(), x.tanh(), x.sigmoid(), x.relu(),
               x.softmax(-1), x.log_softmax(-1), x.logsumexp(-1), x.clip(-1, 1),
               tinyopt.where(x > 0, x, 0), tinyopt.where(x > 0, x, 0.0),
               x.float(), x @ x, x[0], x.gather(1, Tensor(np.array([[0], [1]]))),
               tinyopt.cat([x, x]), tinyopt.stack([x, x]), pad(x, (1, 1))]
    for i, result in enumerate(results):
        assert result.dtype == np.float32, f"result {i} became {result.dtype}"
    total = results[0].sum()
    for result in results[1:]:
        total = total + result.sum()
    total.backward()
    assert x.grad.dtype == np.float32


def test_activations_and_erf_keep_float32():
    from tinyopt.autograd.ops import elementwise as ew
    x = tinyopt.tensor([-1.0, 0.5, 25.0], requires_grad=True)
    for y in (ew.gelu(x), ew.gelu(x, "tanh"), ew.softplus(x), ew.softplus(x, 2.0, 5.0),
              ew.erf(x)):
        assert y.dtype == np.float32
        g, = grad(y.sum(), x)
        assert g.dtype == np.float32


def test_full_reduction_data_is_an_array():
    x = leaf([1.0, 2.0])
    for result in (x.sum(), x.mean(), x.max(), x.var()):
        assert isinstance(result.data, np.ndarray) and result.shape == ()


def test_array_operands_on_the_left_defer_to_tensor():
    x = leaf([1.0, 2.0])
    for result in (np.ones(2) + x, np.ones(2) * x, np.float64(2.0) * x, np.ones(2) - x,
                   np.ones(2) / x, np.ones((2, 2)) @ x):
        assert isinstance(result, Tensor) and result.requires_grad


def test_comparisons_give_boolean_tensors_outside_the_graph():
    x = leaf([1.0, 2.0])
    mask = x > 1.5
    assert mask.dtype == np.bool_ and not mask.requires_grad
    np.testing.assert_array_equal((x == 1.0).data, [True, False])
    assert len({x, x}) == 1, "tensors hash by identity"


def test_truth_value_only_for_one_element():
    x, y = leaf([1.0, 2.0]), leaf([5.0, 6.0])
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    with pytest.raises(RuntimeError, match="ambiguous"):
        y in [x]  # would be silently True if tensors were truthy by length
    assert x in [x, y]  # identity is checked before ==
    assert bool(leaf([3.0])) and not bool(Tensor(np.array(0.0)))
    assert (x > 1.5)[1]


def test_item_numpy_detach():
    x = leaf([[2.5]])
    assert x.item() == 2.5
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    d = x.detach()
    assert not d.requires_grad and d.data is x.data
    with pytest.raises(ValueError, match="one element"):
        leaf([1.0, 2.0]).item()
