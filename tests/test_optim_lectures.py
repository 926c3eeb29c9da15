"""The behaviours the lectures teach, shown with tinyopt's own autograd on small problems."""
import numpy as np
import pytest

import tinyopt
import tinyopt.optim as optim
from tinyopt.nn import Parameter

CURVATURES = np.array([1.0, 100.0])  # condition number 100


def ill_conditioned_quadratic(x):
    """f(x) = ½ Σ hᵢ xᵢ², minimum 0 at the origin."""
    return 0.5 * (tinyopt.tensor(CURVATURES) * x * x).sum()


def rosenbrock(x):
    """f(x, y) = (1 - x)² + 100 (y - x²)², minimum 0 at (1, 1) in a curved valley."""
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] * x[0]) ** 2


def steps_to_reach(loss_fn, start, optimizer_class, target=1e-2, max_steps=5000, **options):
    """Number of steps until the loss drops below ``target`` (None if it never does)."""
    x = Parameter(np.array(start, dtype=np.float64))
    optimizer = optimizer_class([x], **options)
    for step in range(max_steps):
        optimizer.zero_grad()
        loss = loss_fn(x)
        if loss.item() < target:
            return step
        loss.backward()
        optimizer.step()
    return None


@pytest.mark.parametrize("loss_fn, start, lr", [
    (ill_conditioned_quadratic, [1.0, 1.0], 0.015),  # lr near the 2/h_max = 0.02 limit
    (rosenbrock, [0.0, 0.0], 2e-3),
])
def test_momentum_reaches_the_target_in_fewer_steps_than_sgd(loss_fn, start, lr):
    plain = steps_to_reach(loss_fn, start, optim.SGD, lr=lr)
    momentum = steps_to_reach(loss_fn, start, optim.SGD, lr=lr, momentum=0.9)
    assert plain is not None and momentum is not None
    assert momentum < plain / 2, (momentum, plain)


def test_adagrad_effective_step_shrinks():
    x = Parameter(np.array([1.0, 1.0]))
    optimizer = optim.Adagrad([x], lr=0.1)
    effective_steps = []
    for _ in range(50):
        optimizer.zero_grad()
        ill_conditioned_quadratic(x).backward()
        grad, before = x.grad.array.copy(), x.array.copy()
        optimizer.step()
        effective_steps.append(np.abs(x.array - before) / np.abs(grad))  # lr / (√G + ε)
    effective_steps = np.array(effective_steps)
    assert np.all(np.diff(effective_steps, axis=0) < 0)
    np.testing.assert_allclose(effective_steps[-1],
                               0.1 / (np.sqrt(optimizer.state[x]["sum"]) + 1e-10), rtol=1e-9)


def test_adam_l2_and_adamw_end_with_different_weight_norms():
    """Eight equations, forty weights: many interpolating solutions, and the decay picks one.

    Adam's L2 gradient λθ is divided by √v̂ like any gradient, AdamW shrinks θ by γλ
    directly, so the same λ lands on solutions of clearly different norm."""
    rng = np.random.default_rng(0)
    inputs, targets = tinyopt.tensor(rng.standard_normal((8, 40))), tinyopt.tensor(
        rng.standard_normal(8))

    def train(optimizer_class, weight_decay):
        w = Parameter(np.full(40, 0.5))
        optimizer = optimizer_class([w], lr=1e-2, weight_decay=weight_decay)
        for _ in range(500):
            loss = ((inputs @ w - targets) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return np.linalg.norm(w.array), loss.item()

    undecayed_norm, _ = train(optim.Adam, 0.0)
    l2_norm, l2_loss = train(optim.Adam, 0.1)
    adamw_norm, adamw_loss = train(optim.AdamW, 0.1)
    assert l2_loss < 1e-3 and adamw_loss < 1e-3
    assert max(l2_norm, adamw_norm) < undecayed_norm
    assert abs(l2_norm - adamw_norm) > 0.2 * min(l2_norm, adamw_norm), (l2_norm, adamw_norm)
