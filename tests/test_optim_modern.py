"""LAMB, LARS, Adafactor, Lion and the 8-bit optimizers: first steps by hand, identities, API.

Hand-computed cases start from θ₀ = [1, -2] (or a 2 x 2 matrix where the
optimizer treats matrices differently) and spell the docstring's algorithm
out in plain arithmetic. Reference parity (pytorch-optimizer, Hugging Face's
Adafactor) is in test_optim_modern_reference.py; state dicts, state bytes
and executors in test_optim_modern_state.py; quantization in
test_quantization.py.
"""
import math

import numpy as np
import pytest

import tinyopt.optim as optim
from tinyopt.kernels import get_executor
from tinyopt.nn import Parameter

THETA0 = np.array([1.0, -2.0])
G1 = np.array([0.5, 2.0])
G2 = np.array([-1.0, 1.0])
W0 = np.array([[1.0, -2.0], [0.5, 3.0]])
GW = np.array([[0.5, 2.0], [-1.0, 1.0]])

def steps(optimizer_class, theta0, grads, **options):
    """θ after each of the given gradients (numpy executor: the math, not the compiler)."""
    param = Parameter(np.array(theta0, dtype=float))
    optimizer = optimizer_class([param], **options)
    optimizer.executor = get_executor("numpy")
    thetas = []
    for grad in grads:
        param.grad = np.array(grad, dtype=float)
        optimizer.step()
        thetas.append(param.array.copy())
    return thetas


def check(thetas, expected):
    for got, want in zip(thetas, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def norm(x):
    return math.sqrt(float(np.sum(np.square(x))))


# ------------------------------------------------------------------ by hand
def test_lion_steps_by_the_sign_of_the_interpolated_momentum():
    lr, wd = 0.1, 0.1
    t1 = THETA0 * (1 - lr * wd) - lr * np.array([1.0, 1.0])      # c₁ = 0.1 g₁: signs (+, +)
    m1 = 0.01 * G1                                                # β₂ = 0.99
    c2 = 0.9 * m1 + 0.1 * G2                                      # [-0.0955, 0.118]
    np.testing.assert_allclose(c2, [-0.0955, 0.118])
    t2 = t1 * (1 - lr * wd) - lr * np.sign(c2)
    check(steps(optim.Lion, THETA0, [G1, G2], lr=lr, weight_decay=wd), [t1, t2])


def test_lars_scales_each_step_by_the_trust_ratio():
    lr, eta, wd = 0.1, 0.01, 0.1
    rho1 = eta * math.sqrt(5) / (math.sqrt(4.25) + wd * math.sqrt(5))
    d1 = rho1 * (G1 + wd * THETA0)
    t1 = THETA0 - lr * d1                                         # b₁ = d₁
    rho2 = eta * norm(t1) / (math.sqrt(2) + wd * norm(t1))
    b2 = 0.9 * d1 + rho2 * (G2 + wd * t1)
    t2 = t1 - lr * b2
    check(steps(optim.LARS, THETA0, [G1, G2], lr=lr, trust_coefficient=eta, weight_decay=wd,
                exclude_1d=False), [t1, t2])


def test_lars_trust_ratio_is_one_for_zero_weights():
    (t1,) = steps(optim.LARS, [0.0, 0.0], [G1], lr=0.1, exclude_1d=False)
    np.testing.assert_allclose(t1, -0.1 * G1)


def test_lamb_first_two_steps():
    lr, wd, eps = 0.1, 0.1, 1e-6
    u1 = G1 / (np.abs(G1) + eps) + wd * THETA0                    # m̂₁ = g₁, v̂₁ = g₁²
    t1 = THETA0 - lr * norm(THETA0) / norm(u1) * u1
    m2, v2 = 0.9 * 0.1 * G1 + 0.1 * G2, 0.999 * 0.001 * G1 ** 2 + 0.001 * G2 ** 2
    u2 = (m2 / (1 - 0.9 ** 2)) / (np.sqrt(v2 / (1 - 0.999 ** 2)) + eps) + wd * t1
    t2 = t1 - lr * norm(t1) / norm(u2) * u2
    check(steps(optim.LAMB, THETA0, [G1, G2], lr=lr, weight_decay=wd), [t1, t2])


def test_lamb_trust_clip_and_zero_weights():
    u1 = G1 / (np.abs(G1) + 1e-6)
    (clipped,) = steps(optim.LAMB, [10.0, -20.0], [G1], lr=0.1, trust_clip=1.0)
    np.testing.assert_allclose(clipped, np.array([10.0, -20.0]) - 0.1 * u1, rtol=1e-12)
    (from_zero,) = steps(optim.LAMB, [0.0, 0.0], [G1], lr=0.1)             # ρ = 1
    np.testing.assert_allclose(from_zero, -0.1 * u1, rtol=1e-12)


def test_adafactor_factored_first_step():
    # t = 1: β̂₂ = 1 - 1 = 0, so R and C are this step's row and column means of g² + ε₁.
    R = np.array([(0.25 + 4) / 2, (1 + 1) / 2])
    C = np.array([(0.25 + 1) / 2, (4 + 1) / 2])
    v_hat = np.outer(R, C) / R.mean()
    u = GW / np.sqrt(v_hat)
    u = u / max(1.0, norm(u) / 2)                                 # RMS over 4 elements
    lr = max(1e-3, norm(W0) / 2) * min(1e-2, 1.0)                 # parameter scale x 1e-2
    (w1,) = steps(optim.Adafactor, W0, [GW])
    np.testing.assert_allclose(w1, W0 - lr * u, rtol=1e-12)


def test_adafactor_vector_two_steps_with_beta1_and_weight_decay():
    lr, beta1, wd = 0.1, 0.5, 0.2
    v1 = G1 ** 2 + 1e-30                                          # β̂₂ = 0 at t = 1
    u1 = G1 / np.sqrt(v1)                                         # RMS 1: no clipping
    m1 = (1 - beta1) * lr * u1
    t1 = THETA0 - wd * lr * THETA0 - m1
    beta2 = 1 - 2 ** -0.8
    v2 = beta2 * v1 + (1 - beta2) * (G2 ** 2 + 1e-30)
    u2 = G2 / np.sqrt(v2)
    u2 = u2 / max(1.0, norm(u2) / math.sqrt(2) / 1.0)
    m2 = beta1 * m1 + (1 - beta1) * lr * u2
    t2 = t1 - wd * lr * t1 - m2
    check(steps(optim.Adafactor, THETA0, [G1, G2], lr=lr, relative_step=False,
                scale_parameter=False, beta1=beta1, weight_decay=wd), [t1, t2])


def test_adafactor_relative_step_and_warmup():
    group = dict(lr=None, relative_step=True, warmup_init=False, scale_parameter=True,
                 eps=(1e-30, 1e-3))
    assert optim.Adafactor.step_size(group, {"step": 1, "RMS": 0.0}) == 1e-3 * 1e-2
    assert optim.Adafactor.step_size(group, {"step": 10 ** 6, "RMS": 2.0}) == 2.0 * 1e-3
    warm = dict(group, warmup_init=True, scale_parameter=False)
    assert optim.Adafactor.step_size(warm, {"step": 5, "RMS": 2.0}) == pytest.approx(5e-6)


def test_8bit_first_step_is_the_float_step():
    # m₀ = v₀ = 0 are exact in 8 bits, so step 1 is Adam's / Lion's to the last bit.
    for eight_bit, floating, options in [(optim.Adam8bit, optim.Adam, dict(weight_decay=0.1)),
                                         (optim.AdamW8bit, optim.AdamW, {}),
                                         (optim.Lion8bit, optim.Lion, dict(weight_decay=0.1))]:
        got = steps(eight_bit, W0, [GW], min_8bit_size=1, block_size=3, **options)
        np.testing.assert_array_equal(got, steps(floating, W0, [GW], **options))


# --------------------------------------------------------------- identities
def random_run(optimizer_class, shapes=((4, 3), (5,)), n_steps=6, **options):
    rng = np.random.default_rng(1)
    params = [Parameter(rng.standard_normal(shape)) for shape in shapes]
    optimizer = optimizer_class(params, **options)
    optimizer.executor = get_executor("numpy")
    for _ in range(n_steps):
        for param in params:
            param.grad = rng.standard_normal(param.shape)
        optimizer.step()
    return [param.array for param in params]


def assert_runs_match(a, b, exact=False):
    for x, y in zip(a, b):
        if exact:
            np.testing.assert_array_equal(x, y)
        else:
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)


def test_lamb_without_layer_adaptation_is_adamw():
    assert_runs_match(random_run(optim.LAMB, lr=0.01, weight_decay=0.1, eps=1e-8,
                                 layer_adaptation=False),
                      random_run(optim.AdamW, lr=0.01, weight_decay=0.1, eps=1e-8))


def test_lamb_exclude_1d_gives_vectors_adam_without_decay():
    lamb = random_run(optim.LAMB, shapes=((5,),), lr=0.01, weight_decay=0.1, eps=1e-8,
                      exclude_1d=True)
    assert_runs_match(lamb, random_run(optim.Adam, shapes=((5,),), lr=0.01, eps=1e-8))


def test_lars_on_excluded_vectors_is_sgd_with_momentum():
    for options in (dict(momentum=0.9), dict(momentum=0.9, nesterov=True), dict(momentum=0)):
        assert_runs_match(random_run(optim.LARS, shapes=((5,), ()), lr=0.1, weight_decay=0.1,
                                     **options),
                          random_run(optim.SGD, shapes=((5,), ()), lr=0.1, **options))


def test_8bit_on_small_tensors_is_the_float_optimizer_exactly():
    for eight_bit, floating in [(optim.Adam8bit, optim.Adam), (optim.AdamW8bit, optim.AdamW),
                                (optim.Lion8bit, optim.Lion)]:
        assert_runs_match(random_run(eight_bit), random_run(floating), exact=True)


def test_lion_takes_steps_of_exactly_lr_per_coordinate():
    before = np.random.default_rng(1).standard_normal((4, 3))
    (after, _) = random_run(optim.Lion, n_steps=1, lr=0.25)
    np.testing.assert_allclose(np.abs(after - before), 0.25, rtol=1e-12)


# ------------------------------------------------------------ arguments
@pytest.mark.parametrize("optimizer_class, options, message", [
    (optim.Lion, dict(lr=-1.0), r"lr must be >= 0, got -1.0"),
    (optim.Lion, dict(betas=(0.9, 1.0)), r"betas\[1\] must be in \[0, 1\)"),
    (optim.Lion, dict(weight_decay=-0.1), r"weight_decay must be >= 0"),
    (optim.LAMB, dict(eps=-1e-6), r"eps must be >= 0"),
    (optim.LAMB, dict(trust_clip=0.0), r"trust_clip must be > 0"),
    (optim.LAMB, dict(betas=(1.5, 0.9)), r"betas\[0\] must be in \[0, 1\)"),
    (optim.LARS, dict(trust_coefficient=0), r"trust_coefficient must be > 0"),
    (optim.LARS, dict(dampening=2), r"dampening must be in \[0, 1\]"),
    (optim.LARS, dict(nesterov=True, momentum=0), r"nesterov=True requires momentum > 0"),
    (optim.Adafactor, dict(lr=1e-3), r"lr must be None with relative_step=True"),
    (optim.Adafactor, dict(relative_step=False), r"lr must be a number >= 0 when"),
    (optim.Adafactor, dict(lr=-1.0, relative_step=False), r"lr must be >= 0"),
    (optim.Adafactor, dict(lr=1e-3, relative_step=False, warmup_init=True),
     r"warmup_init=True requires relative_step=True"),
    (optim.Adafactor, dict(eps=(1e-30, -1)), r"eps\[1\] must be >= 0"),
    (optim.Adafactor, dict(clip_threshold=0), r"clip_threshold must be > 0"),
    (optim.Adafactor, dict(decay_rate=0.5), r"decay_rate must be in \(-inf, 0\]"),
    (optim.Adafactor, dict(beta1=1.0), r"beta1 must be in \[0, 1\)"),
    (optim.Adam8bit, dict(block_size=0), r"block_size must be >= 1"),
    (optim.Adam8bit, dict(block_size=2.5), r"block_size must be a whole number"),
    (optim.AdamW8bit, dict(min_8bit_size=-1), r"min_8bit_size must be >= 0"),
    (optim.Lion8bit, dict(betas=(0.9, -0.1)), r"betas\[1\] must be in \[0, 1\)"),
])
def test_bad_hyperparameters_raise_naming_the_argument(optimizer_class, options, message):
    with pytest.raises(ValueError, match=message):
        optimizer_class([Parameter(np.zeros(2))], **options)


def test_wrong_types_and_flags_raise_type_errors():
    with pytest.raises(TypeError, match="eps must be a pair"):
        optim.Adafactor([Parameter(np.zeros(2))], eps=1e-3)
    with pytest.raises(TypeError, match="exclude_1d must be True or False"):
        optim.LARS([Parameter(np.zeros(2))], exclude_1d=1)
    with pytest.raises(TypeError, match="lr must be a real number"):
        optim.Lion([Parameter(np.zeros(2))], lr="fast")
