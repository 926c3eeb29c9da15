"""In-place methods and version counters, against PyTorch and finite differences.

Each in-place method is checked three ways: its values against torch's in
float64; recorded inside a graph (on a non-leaf), its gradient against
finite differences (gradcheck); and its failures — a destination that would
broadcast, a float result for an integer tensor, a leaf that requires grad —
raise, leaving the tensor unchanged.
"""
import numpy as np
import pytest

import tinyopt
from tinyopt.autograd import gradcheck

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))
C = RNG.uniform(0.5, 2.0, (3, 4))
ROW = RNG.standard_normal(4)

# name -> (call on the destination t with operands (b, c, row), whether differentiable)
METHODS = {
    "add_": (lambda t, b, c, row: t.add_(b), True),
    "add_ alpha": (lambda t, b, c, row: t.add_(b, alpha=-0.3), True),
    "add_ broadcast row": (lambda t, b, c, row: t.add_(row), True),
    "sub_ alpha": (lambda t, b, c, row: t.sub_(b, alpha=2.0), True),
    "mul_": (lambda t, b, c, row: t.mul_(b), True),
    "mul_ scalar": (lambda t, b, c, row: t.mul_(0.9), True),
    "div_": (lambda t, b, c, row: t.div_(c), True),
    "pow_": (lambda t, b, c, row: t.abs_().pow_(1.5), True),
    "neg_": (lambda t, b, c, row: t.neg_(), True),
    "sqrt_": (lambda t, b, c, row: t.abs_().add_(0.1).sqrt_(), True),
    "exp_": (lambda t, b, c, row: t.exp_(), True),
    "clamp_": (lambda t, b, c, row: t.clamp_(-0.5, 0.5), True),
    "sign_": (lambda t, b, c, row: t.sign_(), False),
    "lerp_": (lambda t, b, c, row: t.lerp_(b, 0.1), True),
    "addcmul_": (lambda t, b, c, row: t.addcmul_(b, c, value=0.5), True),
    "addcdiv_": (lambda t, b, c, row: t.addcdiv_(b, c, value=-0.5), True),
    "zero_": (lambda t, b, c, row: t.zero_(), False),
    "fill_": (lambda t, b, c, row: t.fill_(0.25), False),
    "copy_": (lambda t, b, c, row: t.copy_(b), True),
    "mul(..).add_(..) chain": (lambda t, b, c, row: t.mul_(0.9).add_(b, alpha=0.1), True),
    "setitem slice": (lambda t, b, c, row: t.__setitem__((slice(None), 1), b[:, 0]), True),
    "iadd": (lambda t, b, c, row: t.__iadd__(b), True),
    "imul": (lambda t, b, c, row: t.__imul__(c), True),
}


@pytest.mark.parametrize("name", METHODS)
def test_in_place_values_match_torch(name):
    torch = pytest.importorskip("torch")
    method, _ = METHODS[name]
    results = []
    for lib in (tinyopt, torch):
        t = lib.tensor(A.copy(), dtype=lib.float64)
        before = t
        operands = [lib.tensor(v, dtype=lib.float64) for v in (B, C, ROW)]
        out = method(t, *operands)
        assert out is None or out is before  # in-place methods return self
        results.append(t.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", [n for n, (_, diff) in METHODS.items() if diff])
def test_in_place_inside_a_graph_has_the_right_gradient(name):
    method, _ = METHODS[name]

    def f(x, b, c):
        t = x * 1.0                      # a non-leaf: in-place on it is recorded
        method(t, b, c, tinyopt.tensor(ROW))
        return t

    inputs = [tinyopt.tensor(v, requires_grad=True, dtype=tinyopt.float64) for v in (A, B, C)]
    gradcheck(f, inputs)


def test_in_place_gradient_matches_torch_through_a_chain():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (tinyopt, torch):
        x = lib.tensor(A, dtype=lib.float64, requires_grad=True)
        w = lib.tensor(B, dtype=lib.float64, requires_grad=True)
        y = x * 2
        y.mul_(w).add_(x, alpha=0.5).exp_()
        (y * y).sum().backward()
        grads.append((x.grad.numpy(), w.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# ------------------------------------------------------------ version counters
def _cases(lib):
    """Each case builds a graph, writes in place, then runs backward; None if no write."""
    def optimizer_step_between_backwards():
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 1))
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
        x = lib.ones(5, 3)
        loss1, loss2 = model(x).sum(), (model(x) ** 2).sum()
        loss1.backward()
        optimizer.step()
        loss2.backward()

    def saved_output_overwritten():
        w = lib.ones(3, requires_grad=True)
        y = w.sigmoid()
        y.mul_(2)
        y.sum().backward()

    def exp_output_overwritten():
        w = lib.ones(3, requires_grad=True)
        y = w.exp()
        y.add_(1)
        y.sum().backward()

    def input_of_add_overwritten():  # add reads no inputs in backward: fine
        w = lib.ones(3, requires_grad=True)
        a = w * 1.0
        b = a + 1
        a.add_(1)
        b.sum().backward()

    def mul_by_constant_operand_overwritten():  # the constant's partner is not saved
        w = lib.ones(3, requires_grad=True)
        a = w * 1.0
        b = a * lib.ones(3)
        a.add_(1)
        b.sum().backward()

    def mul_operand_overwritten():
        w = lib.ones(3, requires_grad=True)
        a = w * 1.0
        b = a * w
        a.add_(1)
        b.sum().backward()

    def leaf_written_under_no_grad_then_used():
        w = lib.ones(3, requires_grad=True)
        y = (w * w).sum()
        with lib.no_grad():
            w.add_(1)
        y.backward()

    def data_written_is_not_seen():  # PyTorch's .data hazard: no error, documented
        w = lib.ones(3, requires_grad=True)
        y = (w * w).sum()
        w.data.add_(1)
        y.backward()

    def leaf_in_place_with_grad_on():
        w = lib.ones(3, requires_grad=True)
        w.add_(1)

    def matmul_weight_overwritten():
        x = lib.ones(2, 3, requires_grad=True)
        w = lib.ones(3, 3) * 1.0
        y = x @ w
        w.mul_(2)
        y.sum().backward()

    return {name: fn for name, fn in locals().items() if callable(fn)}


@pytest.mark.parametrize("case", list(_cases(tinyopt)))
def test_version_counter_errors_arise_where_torch_raises(case):
    torch = pytest.importorskip("torch")
    outcomes = []
    for lib in (tinyopt, torch):
        try:
            _cases(lib)[case]()
            outcomes.append(None)
        except RuntimeError as error:
            outcomes.append(str(error))
    ours, theirs = outcomes
    assert (ours is None) == (theirs is None), f"tinyopt: {ours!r}\ntorch: {theirs!r}"
    if theirs is not None:
        if "leaf Variable" in theirs:
            assert "a leaf Variable that requires grad is being used in an in-place operation" \
                in ours
        else:
            assert ours.startswith("one of the variables needed for gradient computation has "
                                   "been modified by an inplace operation")


def test_version_counts_every_in_place_write_and_optimizer_step():
    p = tinyopt.nn.Parameter(tinyopt.ones(3))
    assert p._version == 0
    with tinyopt.no_grad():
        p.add_(1).mul_(2)
    assert p._version == 2
    p.grad = tinyopt.ones(3)
    tinyopt.optim.SGD([p], lr=0.1).step()
    assert p._version == 3
    assert p.detach()._version == 3  # detach shares the counter, .data has its own
    assert p.data._version == 0


def test_error_names_the_op_and_the_shape():
    w = tinyopt.ones(2, 3, requires_grad=True)
    y = w.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"\[float32 \[2, 3\]\], which is output 0 of exp, "
                                           r"is at version 1; expected version 0"):
        y.sum().backward()


# ----------------------------------------------------------------- bad input
def test_in_place_refuses_to_broadcast_the_destination_and_changes_nothing():
    t = tinyopt.ones(4)
    with pytest.raises(RuntimeError, match=r"output with shape \[4\] doesn't match the "
                                           r"broadcast shape \[3, 4\]"):
        t.add_(tinyopt.ones(3, 4))
    np.testing.assert_array_equal(t.numpy(), 1.0)
    assert t._version == 0


def test_float_result_into_integer_tensor_raises_and_changes_nothing():
    t = tinyopt.arange(4)
    with pytest.raises(RuntimeError, match="result type float64 can't be cast to the desired "
                                           "output type int64"):
        t.mul_(tinyopt.tensor([0.5, 0.5, 0.5, 0.5], dtype=tinyopt.float64))
    np.testing.assert_array_equal(t.numpy(), [0, 1, 2, 3])


def test_alpha_must_be_a_number():
    t = tinyopt.ones(3)
    with pytest.raises(TypeError, match="alpha must be a number, got Tensor"):
        t.add_(tinyopt.ones(3), alpha=tinyopt.ones(3))
    np.testing.assert_array_equal(t.numpy(), 1.0)


def test_clone_is_independent_and_differentiable():
    x = tinyopt.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert not np.shares_memory(y.array, x.array)
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_data_and_grad_are_tensors_sharing_memory():
    p = tinyopt.nn.Parameter(tinyopt.zeros(3))
    (p * tinyopt.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert isinstance(p.data, tinyopt.Tensor) and isinstance(p.grad, tinyopt.Tensor)
    assert np.shares_memory(p.data.array, p.array) and not p.data.requires_grad
    p.data.add_(1)
    np.testing.assert_array_equal(p.numpy() if not p.requires_grad else p.detach().numpy(), 1.0)
    p.data = tinyopt.full((3,), 5.0)  # rebinds, as in PyTorch
    np.testing.assert_array_equal(p.detach().numpy(), 5.0)
    grad = p.grad
    p.grad.zero_()
    assert p.grad is grad and float(p.grad.sum()) == 0.0
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        p.grad = tinyopt.zeros(4)
