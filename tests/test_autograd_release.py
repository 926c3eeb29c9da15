"""Before a plain backward, the forward values no formula reads and no one holds are freed.

``autograd/release.py``: the fast path (values released) must give exactly
the gradients of the simple one (every intermediate held, so none can be
released), on the course's CNN, LSTM and attention models in float64; what
the caller holds, what a formula reads, the outputs, and everything under
``create_graph`` keep their values; a formula that reads what its op did not
declare fails loudly.
"""
import weakref

import numpy as np
import pytest

import tinyopt
import tinyopt.nn.functional as F
from tinyopt.autograd import engine, release
from tinyopt.autograd.release import ReleasedValues
from tinyopt.autograd.tensor import make_result
from tinyopt.bench import workloads


def _batch(name, samples=8):
    inputs, targets = workloads.WORKLOADS[name].make_data(64)
    inputs = inputs[:samples].astype(np.float64) if inputs.dtype.kind == "f" else inputs[:samples]
    return tinyopt.tensor(inputs), tinyopt.tensor(targets[:samples].reshape(-1))


def _gradients(name, hold_every_node):
    """The parameter gradients of one batch, with or without the graph's values held."""
    tinyopt.manual_seed(0)
    model = workloads.WORKLOADS[name].build(tinyopt).double()
    inputs, targets = _batch(name)
    loss = F.cross_entropy(model(inputs), targets)
    held = engine.topological_order([loss]) if hold_every_node else None
    nodes = [weakref.ref(node) for node in engine.topological_order([loss])]
    loss.backward(retain_graph=True)  # the nodes stay, to be looked at
    released = sum(node() is not None and type(node().array) is ReleasedValues for node in nodes)
    assert held is None or not any(type(node.array) is ReleasedValues for node in held)
    return [p.grad.array for p in model.parameters()], released


@pytest.mark.parametrize("name", ["cnn", "lstm", "attention"])
def test_releasing_the_unread_values_changes_no_gradient(name):
    simple, none_released = _gradients(name, hold_every_node=True)
    fast, released = _gradients(name, hold_every_node=False)
    assert none_released == 0 and released > 0
    for a, b in zip(fast, simple):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=0)


def _conv_relu(x, weight):
    """conv -> relu -> sum, and weak references to the conv and relu outputs."""
    conv = F.conv2d(x, weight, padding=1)
    activation = conv.relu()
    return activation.sum(), weakref.ref(conv), weakref.ref(activation)


def _inputs():
    rng = np.random.default_rng(0)
    return (tinyopt.tensor(rng.standard_normal((2, 3, 8, 8))),
            tinyopt.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True))


def test_the_conv_output_is_freed_and_the_relu_output_it_reads_kept():
    x, weight = _inputs()
    loss, conv, activation = _conv_relu(x, weight)
    loss.backward(retain_graph=True)
    assert type(conv().array) is ReleasedValues  # relu's gradient reads its output only
    assert type(activation().array) is not ReleasedValues  # ... which it needs
    assert conv().shape == (2, 4, 8, 8) and conv().dtype == np.float64
    assert type(loss.array) is not ReleasedValues and type(x.array) is not ReleasedValues
    first = weight.grad.array.copy()
    loss.backward()  # the retained graph runs again without the freed values
    np.testing.assert_allclose(weight.grad.array, 2 * first, rtol=1e-12)


def test_an_intermediate_the_caller_holds_keeps_its_values():
    x, weight = _inputs()
    conv = F.conv2d(x, weight, padding=1)
    expected = conv.array.copy()
    conv.relu().sum().backward()
    np.testing.assert_array_equal(conv.array, expected)
    np.testing.assert_array_equal(conv.detach().numpy(), expected)


def test_grad_releases_too_but_create_graph_keeps_everything():
    x, weight = _inputs()
    loss, conv, _ = _conv_relu(x, weight)
    (recorded,) = tinyopt.grad(loss, [weight], create_graph=True)
    assert type(conv().array) is not ReleasedValues  # the recorded backward may read anything
    loss, conv, _ = _conv_relu(x, weight)
    (plain,) = tinyopt.grad(loss, [weight], retain_graph=True)
    assert type(conv().array) is ReleasedValues
    np.testing.assert_allclose(plain.array, recorded.array, rtol=1e-12)


def test_small_intermediates_keep_their_values_by_default(monkeypatch):
    monkeypatch.setattr(release, "MIN_BYTES", 1 << 20)  # the default the suite lowers
    x, weight = _inputs()  # 2 x 4 x 8 x 8 doubles: 4 KiB, under MIN_BYTES
    loss, conv, _ = _conv_relu(x, weight)
    loss.backward(retain_graph=True)
    assert type(conv().array) is not ReleasedValues
    big = tinyopt.tensor(np.random.default_rng(1).standard_normal((4, 3, 96, 96)))
    loss, conv, _ = _conv_relu(big, weight)  # 4 x 4 x 96 x 96 doubles: 1.1 MiB
    loss.backward(retain_graph=True)
    assert type(conv().array) is ReleasedValues


def _double_declaring_no_reads(t):
    """A buggy op: it declares that its gradient reads nothing, then reads its input."""
    out = make_result(t.array * 2, (t,), None, "double_it", saved=())
    out._backward = lambda g: (g * t.array.sum(),)
    return out


def test_a_formula_that_reads_an_undeclared_tensor_fails_loudly():
    x, weight = _inputs()
    loss = _double_declaring_no_reads(F.conv2d(x, weight, padding=1)).sum()
    with pytest.raises(RuntimeError, match="freed before the backward pass"):
        loss.backward()


def test_the_placeholder_refuses_every_read():
    values = ReleasedValues(np.zeros((3, 4), dtype=np.float32))
    assert (values.shape, values.ndim, values.size, values.itemsize) == ((3, 4), 2, 12, 4)
    with pytest.raises(RuntimeError, match="freed"):
        np.asarray(values)
    with pytest.raises(RuntimeError, match=r"asked for \.reshape"):
        values.reshape(12)
    with pytest.raises(TypeError):
        np.zeros((3, 4)) + values
