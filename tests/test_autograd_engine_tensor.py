"""The Tensor's contract: names, shape errors and dtypes.

dim/axis aliases, max/min returning (values, indices), 0-d dims, errors that
name the op and both shapes, float32 preserved through scalars and every op,
arrays on the left, comparisons, truth values, and item/numpy/detach.
"""
import numpy as np
import pytest

import tinyopt
from tinyopt import Tensor, backend
from tinyopt.autograd import grad
from tinyopt.autograd.ops.reduce import MaxMin
from tinyopt.autograd.ops.shape import pad

from autograd_helpers import leaf


# ------------------------------------------------------------- names & aliases
def test_numpy_aliases_agree_with_torch_names():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4) % 7)
    for name in ("sum", "mean", "var", "std"):
        a = getattr(x, name)(dim=1, keepdim=True)
        b = getattr(x, name)(axis=1, keepdims=True)
        np.testing.assert_array_equal(a.array, b.array)
        assert a.shape == (2, 1, 4)
    np.testing.assert_array_equal(x.sum(axis=(0, 2)).array, x.sum((0, 2)).array)
    np.testing.assert_array_equal(x.max(axis=-1).values.array, x.max(-1).values.array)
    np.testing.assert_array_equal(x.argmax(axis=2).array, x.argmax(2).array)
    with pytest.raises(TypeError, match="either dim or its alias axis"):
        x.sum(dim=0, axis=0)


def test_max_with_dim_returns_values_and_indices():
    x = Tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))
    result = x.max(1)
    assert isinstance(result, MaxMin) and isinstance(result, tuple)
    values, indices = result
    np.testing.assert_array_equal(values.array, [5.0, 7.0])
    np.testing.assert_array_equal(result.indices.array, [1, 0])
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
        assert isinstance(result.array, np.ndarray) and result.shape == ()


def test_array_operands_on_the_left_defer_to_tensor():
    x = leaf([1.0, 2.0])
    for result in (np.ones(2) + x, np.ones(2) * x, np.float64(2.0) * x, np.ones(2) - x,
                   np.ones(2) / x, np.ones((2, 2)) @ x):
        assert isinstance(result, Tensor) and result.requires_grad


def test_comparisons_give_boolean_tensors_outside_the_graph():
    x = leaf([1.0, 2.0])
    mask = x > 1.5
    assert mask.dtype == np.bool_ and not mask.requires_grad
    np.testing.assert_array_equal((x == 1.0).array, [True, False])
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
    assert not d.requires_grad and d.array is x.array
    with pytest.raises(ValueError, match="one element"):
        leaf([1.0, 2.0]).item()
