"""Issue 12, item 17 (part): a backward pass that fails midway can be run again.

Nodes give up their saved values only after the whole pass succeeded, so a
``MemoryError`` (simulated here in one node's backward) leaves the graph
whole; the retry gives the gradients an undisturbed pass gives. Also the
in-place accumulation of slices (``x[t]`` in a loop) gives exactly the
gradients of the scatter op, and second derivatives through it stay exact.
"""
import numpy as np
import pytest

import tinyopt


def test_a_failed_backward_can_be_retried():
    x = tinyopt.tensor([0.5, -1.0, 2.0], dtype=tinyopt.float64, requires_grad=True)
    y = (x.exp() * x).sum()
    mul_node = y._parents[0]
    original = mul_node._backward
    calls = {"n": 0}

    def failing_once(g):
        calls["n"] += 1
        if calls["n"] == 1:
            raise MemoryError("simulated: out of memory in backward")
        return original(g)

    mul_node._backward = failing_once
    with pytest.raises(MemoryError):
        y.backward()
    assert x.grad is None
    y.backward()  # the graph is intact: no "backward through the graph a second time"
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.detach().numpy()) * (1 + x.detach().numpy()))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()  # after a successful pass, freed as before


def test_slices_in_a_loop_accumulate_like_the_scatter_op():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((6, 3, 2))
    x = tinyopt.tensor(data, requires_grad=True)
    total = sum(((x[t] * (t + 1)) ** 2).sum() for t in range(6)) + x[:, 1].sum()
    total.backward()
    expected = np.stack([2 * (t + 1) ** 2 * data[t] for t in range(6)])
    expected[:, 1] += 1
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


def test_second_derivatives_through_slices_stay_exact():
    rng = np.random.default_rng(1)
    point, v = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))

    def loss(t):
        return (t[1] ** 3).sum() + (t[:, 0] * t[:, 2] * t[:, 1]).sum()

    def gradient(values):
        t = tinyopt.tensor(values, requires_grad=True)
        return tinyopt.grad(loss(t), t)[0].numpy()

    x = tinyopt.tensor(point, requires_grad=True)
    g, = tinyopt.grad(loss(x), x, create_graph=True)
    hv, = tinyopt.grad((g * tinyopt.tensor(v)).sum(), x)
    eps = 1e-6
    numeric = (gradient(point + eps * v) - gradient(point - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_a_leaf_gradient_buffer_is_reused_across_backward_calls():
    x = tinyopt.tensor([1.0, 2.0], requires_grad=True)
    (x[0] * 3 + x[1]).backward()
    first = x.grad
    (x * x).sum().backward()
    assert x.grad is first
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2.0, 1 + 4.0])


def test_backward_of_x_times_x_allocates_two_gradients_not_four():
    """Item 17's memory: the two gradients of x*x are summed into one of them in place and
    the leaf takes that buffer (before: a third buffer for the sum and a fourth for .grad)."""
    import tracemalloc
    x = tinyopt.ones(2 ** 20, dtype=tinyopt.float64, requires_grad=True)  # 8 MB
    loss = (x * x).sum()
    tracemalloc.start()
    tracemalloc.reset_peak()
    loss.backward()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2.5 * x.array.nbytes, peak / x.array.nbytes
    np.testing.assert_array_equal(x.grad.numpy(), 2.0)


def test_a_gradient_two_parents_share_is_never_summed_in_place():
    x = tinyopt.tensor([1.0, 2.0], requires_grad=True)
    y = tinyopt.tensor([3.0, 4.0], requires_grad=True)
    s = x + y                      # s's backward hands the same gradient to x and to y
    loss = (s * 2).sum() + (x * 5).sum()
    gx, gy = tinyopt.grad(loss, [x, y])
    np.testing.assert_array_equal(gx.numpy(), [7.0, 7.0])
    np.testing.assert_array_equal(gy.numpy(), [2.0, 2.0])
