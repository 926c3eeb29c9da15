"""The first two steps of every optimizer against values worked out by hand (no torch needed).

Each case starts from θ₀ = [1, -2], feeds g₁ = [0.5, 2] then g₂ = [-1, 1], and
spells out the update in plain Python arithmetic, so a student can check
each line against the docstring's algorithm.
"""
import math

import numpy as np
import pytest

import tinyopt.optim as optim
from tinyopt.nn import Parameter

THETA0 = np.array([1.0, -2.0])
G1 = np.array([0.5, 2.0])
G2 = np.array([-1.0, 1.0])


def two_steps(optimizer_class, **options):
    """θ after one and after two steps."""
    param = Parameter(THETA0.copy())
    optimizer = optimizer_class([param], **options)
    thetas = []
    for grad in (G1, G2):
        param.grad = grad.copy()
        optimizer.step()
        thetas.append(param.array.copy())
    return thetas


def check(optimizer_class, options, expected_1, expected_2):
    theta1, theta2 = two_steps(optimizer_class, **options)
    np.testing.assert_allclose(theta1, expected_1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(theta2, expected_2, rtol=1e-12, atol=1e-15)


def test_sgd_plain_and_weight_decay():
    t1 = THETA0 - 0.1 * (G1 + 0.01 * THETA0)
    check(optim.SGD, dict(lr=0.1, weight_decay=0.01), t1, t1 - 0.1 * (G2 + 0.01 * t1))


def test_sgd_momentum_dampening_starts_the_buffer_at_g():
    b1 = G1                                # no dampening on the first step
    b2 = 0.9 * b1 + (1 - 0.5) * G2
    check(optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.5),
          THETA0 - 0.1 * b1, THETA0 - 0.1 * b1 - 0.1 * b2)


def test_sgd_nesterov():
    b1 = G1
    t1 = THETA0 - 0.1 * (G1 + 0.9 * b1)
    b2 = 0.9 * b1 + G2
    check(optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True), t1, t1 - 0.1 * (G2 + 0.9 * b2))


def test_sgd_maximize_goes_uphill():
    check(optim.SGD, dict(lr=0.1, maximize=True), THETA0 + 0.1 * G1, THETA0 + 0.1 * (G1 + G2))


def test_adagrad_with_lr_decay_and_initial_accumulator():
    s1 = 0.1 + G1 ** 2
    t1 = THETA0 - 0.5 * G1 / (np.sqrt(s1) + 1e-10)
    s2 = s1 + G2 ** 2
    t2 = t1 - 0.5 / (1 + 0.2) * G2 / (np.sqrt(s2) + 1e-10)
    check(optim.Adagrad, dict(lr=0.5, lr_decay=0.2, initial_accumulator_value=0.1), t1, t2)


def test_adagrad_first_step_is_lr_times_sign():
    # G = g² after one step, so the step is lr * g / |g|.
    (theta1, _) = two_steps(optim.Adagrad, lr=0.3, eps=0)
    np.testing.assert_allclose(theta1, THETA0 - 0.3 * np.sign(G1), rtol=1e-15)


def test_rmsprop():
    v1 = 0.01 * G1 ** 2                    # alpha = 0.99
    t1 = THETA0 - 0.01 * G1 / (np.sqrt(v1) + 1e-8)
    v2 = 0.99 * v1 + 0.01 * G2 ** 2
    check(optim.RMSprop, {}, t1, t1 - 0.01 * G2 / (np.sqrt(v2) + 1e-8))


def test_rmsprop_centered_momentum():
    v1, a1 = 0.5 * G1 ** 2, 0.5 * G1       # alpha = 0.5
    b1 = G1 / (np.sqrt(v1 - a1 ** 2) + 1e-8)
    t1 = THETA0 - 0.1 * b1
    v2, a2 = 0.5 * v1 + 0.5 * G2 ** 2, 0.5 * a1 + 0.5 * G2
    b2 = 0.9 * b1 + G2 / (np.sqrt(v2 - a2 ** 2) + 1e-8)
    check(optim.RMSprop, dict(lr=0.1, alpha=0.5, momentum=0.9, centered=True), t1, t1 - 0.1 * b2)


def test_adadelta():
    eps = 1e-6
    v1 = 0.1 * G1 ** 2
    d1 = np.sqrt(0 + eps) / np.sqrt(v1 + eps) * G1
    u1 = 0.1 * d1 ** 2
    v2 = 0.9 * v1 + 0.1 * G2 ** 2
    d2 = np.sqrt(u1 + eps) / np.sqrt(v2 + eps) * G2
    check(optim.Adadelta, {}, THETA0 - d1, THETA0 - d1 - d2)


def test_adam_first_step_is_lr_times_sign():
    (theta1, _) = two_steps(optim.Adam, lr=0.1, eps=0)
    np.testing.assert_allclose(theta1, THETA0 - 0.1 * np.sign(G1), rtol=1e-15)


def test_adam_two_steps():
    m2 = 0.9 * 0.1 * G1 + 0.1 * G2
    v2 = 0.999 * 0.001 * G1 ** 2 + 0.001 * G2 ** 2
    m_hat, v_hat = m2 / (1 - 0.9 ** 2), v2 / (1 - 0.999 ** 2)
    t1 = THETA0 - 0.1 * G1 / (np.abs(G1) + 1e-8)
    check(optim.Adam, dict(lr=0.1), t1, t1 - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8))


def test_adam_without_bias_correction_is_adam_v0():
    m1, v1 = 0.1 * G1, 0.001 * G1 ** 2
    t1 = THETA0 - 0.1 * m1 / (np.sqrt(v1) + 1e-8)  # ≈ 3.16 × lr, not lr
    m2, v2 = 0.9 * m1 + 0.1 * G2, 0.999 * v1 + 0.001 * G2 ** 2
    check(optim.Adam, dict(lr=0.1, bias_correction=False), t1,
          t1 - 0.1 * m2 / (np.sqrt(v2) + 1e-8))
    np.testing.assert_allclose(np.abs(t1 - THETA0), 0.1 * 0.1 / math.sqrt(0.001), rtol=1e-6)


def test_adam_amsgrad_keeps_the_largest_v():
    # betas (0, 0.5): v1 = g1²/2, v2 = (g1² + g2²)/4, v_max = max(v1, v2).
    v1 = 0.5 * G1 ** 2
    v2 = 0.5 * v1 + 0.5 * G2 ** 2
    v_max = np.maximum(v1, v2)
    t1 = THETA0 - 0.1 * G1 / (np.sqrt(v1 / 0.5) + 1e-8)
    check(optim.Adam, dict(lr=0.1, betas=(0.0, 0.5), amsgrad=True), t1,
          t1 - 0.1 * G2 / (np.sqrt(v_max / 0.75) + 1e-8))


def test_adam_l2_and_adamw_decoupled():
    g1 = G1 + 0.5 * THETA0                 # Adam: the decay passes through m and v
    t1_adam = THETA0 - 0.1 * g1 / (np.abs(g1) + 1e-8)
    t1_adamw = THETA0 * (1 - 0.1 * 0.5) - 0.1 * G1 / (np.abs(G1) + 1e-8)
    assert two_steps(optim.Adam, lr=0.1, weight_decay=0.5)[0] == pytest.approx(t1_adam)
    assert two_steps(optim.AdamW, lr=0.1, weight_decay=0.5)[0] == pytest.approx(t1_adamw)


def test_adamax():
    u1 = np.abs(G1) + 1e-8
    t1 = THETA0 - 0.1 / 0.1 * (0.1 * G1) / u1
    m2 = 0.9 * 0.1 * G1 + 0.1 * G2
    u2 = np.maximum(0.999 * u1, np.abs(G2) + 1e-8)
    check(optim.Adamax, dict(lr=0.1), t1, t1 - 0.1 / (1 - 0.81) * m2 / u2)


def test_nadam():
    mu = [0.9 * (1 - 0.5 * 0.96 ** (t * 0.004)) for t in (1, 2, 3)]
    m1, v1 = 0.1 * G1, 0.001 * G1 ** 2
    s1 = np.sqrt(v1 / 0.001) + 1e-8
    t1 = (THETA0 - 0.1 * (1 - mu[0]) / (1 - mu[0]) * G1 / s1
          - 0.1 * mu[1] / (1 - mu[0] * mu[1]) * m1 / s1)
    m2, v2 = 0.9 * m1 + 0.1 * G2, 0.999 * v1 + 0.001 * G2 ** 2
    s2 = np.sqrt(v2 / (1 - 0.999 ** 2)) + 1e-8
    t2 = (t1 - 0.1 * (1 - mu[1]) / (1 - mu[0] * mu[1]) * G2 / s2
          - 0.1 * mu[2] / (1 - mu[0] * mu[1] * mu[2]) * m2 / s2)
    check(optim.NAdam, dict(lr=0.1), t1, t2)


def test_radam_warms_up_as_sgd_with_momentum_then_rectifies():
    # betas (0.5, 0.5): ρ∞ = 3, so ρ_t < 5 forever and every step is m̂ alone ...
    m1, m2 = 0.5 * G1, 0.25 * G1 + 0.5 * G2
    check(optim.RAdam, dict(lr=0.1, betas=(0.5, 0.5)), THETA0 - 0.1 * m1 / 0.5,
          THETA0 - 0.1 * m1 / 0.5 - 0.1 * m2 / 0.75)
    # ... with β₂ = 0.9, ρ∞ = 19 and ρ_t = 1, 1.95, ... passes 5 after a few steps.
    param = Parameter(THETA0.copy())
    optimizer = optim.RAdam([param], lr=0.1, betas=(0.9, 0.9))
    rho_inf = 2 / 0.1 - 1
    for t in range(1, 40):
        param.grad = G1.copy()
        before = param.array.copy()
        optimizer.step()
        rho_t = rho_inf - 2 * t * 0.9 ** t / (1 - 0.9 ** t)
        if rho_t > 5:  # constant gradient: m̂ = g, √(v/(1-β₂ᵗ)) = |g|
            r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                          / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            expected = 0.1 * r * np.sign(G1)
            break
        np.testing.assert_allclose(before - param.array, 0.1 * G1, rtol=1e-12)
    np.testing.assert_allclose(before - param.array, expected, rtol=1e-6)


def test_rprop():
    # Step 1: no previous gradient, Δ stays lr; step 2: first coordinate flips sign.
    t1 = THETA0 - 0.01 * np.sign(G1)
    t2 = t1 - np.array([0.0, 0.01 * 1.2])
    check(optim.Rprop, {}, t1, t2)


def test_asgd_averages_after_t0():
    lr, lambd, alpha = 0.1, 0.01, 0.75
    t1 = THETA0 * (1 - lambd * lr) - lr * G1
    eta2 = lr / (1 + lambd * lr * 1) ** alpha
    t2 = t1 * (1 - lambd * eta2) - eta2 * G2
    check(optim.ASGD, dict(lr=lr, lambd=lambd, alpha=alpha), t1, t2)
    param = Parameter(THETA0.copy())
    optimizer = optim.ASGD([param], lr=lr, lambd=lambd, alpha=alpha, t0=1)
    param.grad = G1.copy()
    optimizer.step()
    np.testing.assert_allclose(optimizer.state[param]["ax"], t1)  # μ = 1: ax follows θ
    param.grad = G2.copy()
    optimizer.step()
    np.testing.assert_allclose(optimizer.state[param]["ax"], t2)  # μ = 1 / max(1, 1 - t0)
    param.grad = G1.copy()
    optimizer.step()
    assert optimizer.state[param]["mu"] == 1 / (3 - 1)  # the next step averages
