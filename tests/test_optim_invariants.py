"""Identities between optimizers, which catch what golden numbers miss (no torch needed)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinyopt.optim as optim
from tinyopt.nn import Parameter

SHAPE = (3, 4)


def gradient_sequence(seed, steps=30):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(SHAPE) * rng.uniform(0.01, 10) for _ in range(steps)]


def trajectory(optimizer_class, grads, schedule=None, **options):
    """θ after each step, for a fixed gradient sequence; ``schedule(t)`` sets lr before step t."""
    param = Parameter(np.linspace(-1, 1, 12).reshape(SHAPE))
    optimizer = optimizer_class([param], **options)
    thetas = []
    for t, grad in enumerate(grads, start=1):
        if schedule is not None:
            optimizer.param_groups[0]["lr"] = schedule(t)
        param.grad = grad.copy()
        optimizer.step()
        thetas.append(param.array.copy())
    return np.array(thetas)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), weight_decay=st.sampled_from([0.0, 0.1]),
       maximize=st.booleans(), initial=st.sampled_from([0.0, 0.3]))
def test_adagrad_accumulator_never_decreases(seed, weight_decay, maximize, initial):
    param = Parameter(np.ones(SHAPE))
    optimizer = optim.Adagrad([param], lr=0.1, weight_decay=weight_decay, maximize=maximize,
                              initial_accumulator_value=initial)
    previous = np.full(SHAPE, initial)
    for grad in gradient_sequence(seed, steps=10):
        param.grad = grad
        optimizer.step()
        accumulator = optimizer.state[param]["sum"]
        assert np.all(accumulator >= previous)
        previous = accumulator.copy()


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adamw_without_weight_decay_is_adam(amsgrad):
    grads = gradient_sequence(0)
    np.testing.assert_array_equal(trajectory(optim.AdamW, grads, weight_decay=0, amsgrad=amsgrad),
                                  trajectory(optim.Adam, grads, amsgrad=amsgrad))


def test_sgd_without_momentum_is_plain_gradient_descent():
    grads = gradient_sequence(1)
    theta = np.linspace(-1, 1, 12).reshape(SHAPE)
    expected = []
    for grad in grads:
        theta = theta - 0.05 * grad
        expected.append(theta)
    np.testing.assert_array_equal(trajectory(optim.SGD, grads, lr=0.05, dampening=0.5),
                                  np.array(expected))


def test_adam_with_beta1_zero_and_no_bias_correction_is_rmsprop():
    grads = gradient_sequence(2)
    adam = trajectory(optim.Adam, grads, lr=0.01, betas=(0.0, 0.9), bias_correction=False)
    rmsprop = trajectory(optim.RMSprop, grads, lr=0.01, alpha=0.9)
    np.testing.assert_allclose(adam, rmsprop, rtol=1e-13)


def test_adam_with_beta1_zero_is_rmsprop_with_a_bias_corrected_lr():
    """Under PyTorch's conventions Adam(β₁=0) is *not* RMSprop: v̂ = v / (1 - β₂ᵗ). With
    ε = 0 the two agree once RMSprop's lr is multiplied by √(1 - β₂ᵗ) at every step."""
    grads = gradient_sequence(3)
    adam = trajectory(optim.Adam, grads, lr=0.01, betas=(0.0, 0.9), eps=0)
    rmsprop = trajectory(optim.RMSprop, grads, lr=0.01, alpha=0.9, eps=0,
                         schedule=lambda t: 0.01 * np.sqrt(1 - 0.9 ** t))
    np.testing.assert_allclose(adam, rmsprop, rtol=1e-12)
    plain_rmsprop = trajectory(optim.RMSprop, grads, lr=0.01, alpha=0.9, eps=0)
    assert not np.allclose(adam, plain_rmsprop, rtol=1e-3)


def test_maximize_is_minimizing_the_negated_gradient():
    grads = gradient_sequence(4)
    for optimizer_class in (optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adadelta, optim.Adam,
                            optim.AdamW, optim.Adamax, optim.NAdam, optim.RAdam, optim.Rprop,
                            optim.ASGD):
        np.testing.assert_array_equal(trajectory(optimizer_class, grads, maximize=True),
                                      trajectory(optimizer_class, [-g for g in grads]),
                                      err_msg=optimizer_class.__name__)


def test_nesterov_differs_from_heavy_ball_and_both_from_plain_sgd():
    grads = gradient_sequence(5)
    plain = trajectory(optim.SGD, grads, lr=0.01)
    heavy = trajectory(optim.SGD, grads, lr=0.01, momentum=0.9)
    nesterov = trajectory(optim.SGD, grads, lr=0.01, momentum=0.9, nesterov=True)
    np.testing.assert_array_equal(plain[0], heavy[0])  # buffer starts at g
    assert not np.allclose(heavy[-1], plain[-1]) and not np.allclose(nesterov[-1], heavy[-1])


def test_float32_parameters_stay_float32_and_are_updated_in_place():
    param = Parameter(np.ones(SHAPE, dtype=np.float32))
    data = param.array
    optimizer = optim.Adam([param], lr=0.1)
    param.grad = np.ones(SHAPE, dtype=np.float32)
    optimizer.step()
    assert param.array is data and data.dtype == np.float32
    assert optimizer.state[param]["exp_avg"].dtype == np.float32
    np.testing.assert_allclose(data, 0.9, rtol=1e-6)
