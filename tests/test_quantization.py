"""Block-wise dynamic quantization and the 8-bit optimizers built on it.

The code tables, the nearest-code search, the per-block round-trip error
bound of ``quantization.py``, the memory of 8-bit state, and 8-bit AdamW
training the digits MLP as well as float32 AdamW.
"""
import math

import numpy as np
import pytest

import tinyopt
import tinyopt.optim as optim
from tinyopt.kernels import get_executor
from tinyopt.nn import Parameter
from tinyopt.optim import quantization as q


# ------------------------------------------------------------------ the code
@pytest.mark.parametrize("signed", [True, False])
def test_dynamic_map_has_256_sorted_values_with_zero_and_one(signed):
    code = q.dynamic_map(signed)
    assert code.dtype == np.float32 and code.shape == (256,)
    assert np.all(np.diff(code) > 0)
    assert code[q.zero_code(signed)] == 0 and code[-1] == 1
    if signed:
        assert code[0] == pytest.approx(-(1 + (1 - 0.9 / 64)) / 2, rel=1e-6)  # no -1: 0.99297
        np.testing.assert_array_equal(code[:127], -code[128:255][::-1])  # symmetric but 1.0
    else:
        assert code[0] == 0


@pytest.mark.parametrize("signed, per_decade", [(True, 1), (False, 2)])
def test_dynamic_map_spends_values_per_decade_like_a_tiny_float(signed, per_decade):
    code = np.asarray(q.dynamic_map(signed), dtype=np.float64)
    positive = code[(code > 0) & (code < 1)]
    for k in range(7):  # decade [0.1, 1] * 10^(k - 6) holds 2^k (signed) or 2^(k+1) values
        low, high = 0.1 * 10.0 ** (k - 6), 10.0 ** (k - 6)
        assert np.sum((positive > low) & (positive < high)) == per_decade * 2 ** k


@pytest.mark.parametrize("signed", [True, False])
def test_nearest_code_is_the_argmin_of_the_distance(signed):
    rng = np.random.default_rng(0)
    code = q.dynamic_map(signed)
    x = np.concatenate([rng.uniform(-1, 1, 20000), 10.0 ** rng.uniform(-9, 0, 20000),
                        -(10.0 ** rng.uniform(-9, 0, 20000)), [0.0, -0.0, 1.0, -1.0, 1e-38],
                        (code[1:] + code[:-1]) / 2 * (1 + 1e-6), code]).astype(np.float32)
    x = x if signed else np.abs(x)
    x = np.clip(x, -1, 1)
    got = q.nearest_code(x, signed)
    assert got.dtype == np.uint8
    distance = np.abs(code[None, :].astype(np.float64) - x[:, None])
    best = distance.min(axis=1)
    np.testing.assert_array_equal(distance[np.arange(x.size), got], best)


# --------------------------------------------------------- block round trip
def blocky(rng, size, block_size):
    """Values whose scale changes from block to block, with an outlier here and there."""
    blocks = -(-size // block_size)
    scales = 10.0 ** rng.uniform(-8, 2, blocks)
    x = rng.standard_normal(size) * np.repeat(scales, block_size)[:size]
    x[rng.integers(0, size, 5)] *= 100.0
    return x.astype(np.float32)


@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize("block_size, shape", [(256, (37, 50)), (2048, (5000,)), (7, (3, 4, 5))])
def test_round_trip_error_is_bounded_in_every_block(signed, block_size, shape):
    rng = np.random.default_rng(block_size)
    x = blocky(rng, math.prod(shape), block_size).reshape(shape)
    x = x if signed else np.abs(x)
    codes, absmax = q.quantize_blockwise(x, signed, block_size)
    assert codes.dtype == np.uint8 and codes.shape == shape
    assert absmax.dtype == np.float32 and absmax.shape == (q.number_of_blocks(x.size, block_size),)
    padded = np.zeros(absmax.size * block_size, dtype=np.float32)
    padded[:x.size] = x.reshape(-1)
    np.testing.assert_array_equal(absmax, np.abs(padded.reshape(-1, block_size)).max(axis=1))
    back = q.dequantize_blockwise(codes, absmax, signed, block_size)
    assert back.shape == shape and back.dtype == np.float32
    error = np.zeros(padded.size)
    error[:x.size] = np.abs(back - x).reshape(-1)
    per_block = error.reshape(-1, block_size).max(axis=1)
    bound = q.max_roundtrip_error(absmax.astype(np.float64), signed)
    float32_rounding = 1e-6 * absmax                # the bound is met with equality at -absmax
    assert np.all(per_block <= bound + float32_rounding)
    # The widest gap is 0.9/64 (signed) or 0.9/128 (unsigned) of the block's absmax.
    np.testing.assert_allclose(bound, absmax * (0.9 / (64 if signed else 128)) / 2, rtol=1e-5)


def test_values_near_zero_keep_their_relative_precision():
    # Unlike a linear 8-bit code, 1e-4 of the absmax is not rounded to zero.
    x = np.array([1.0, 1e-2, -1e-3, 1e-4, -1e-5], dtype=np.float32)
    back = q.dequantize_blockwise(*q.quantize_blockwise(x, True, 8), True, 8)
    np.testing.assert_allclose(back, x, rtol=0.5)
    assert np.all(np.sign(back) == np.sign(x))


def test_zeros_round_trip_exactly_and_absmax_elements_nearly():
    x = np.zeros(10, dtype=np.float32)
    codes, absmax = q.quantize_blockwise(x, True, 4)
    np.testing.assert_array_equal(q.dequantize_blockwise(codes, absmax, True, 4), x)
    y = np.array([3.0, -1.0, 0.5, 0.0], dtype=np.float32)
    back = q.dequantize_blockwise(*q.quantize_blockwise(y, False, 4), False, 4)
    assert back[0] == 3.0                                    # the absmax is code 1.0, exact


# ----------------------------------------------------------- 8-bit optimizers
def test_adam8bit_state_for_10_million_parameters_is_under_2_1_bytes_each():
    weight = Parameter(np.zeros((2500, 4000), dtype=np.float32))
    weight.grad = np.full(weight.shape, 1e-3, dtype=np.float32)
    optimizer = optim.Adam8bit([weight])
    optimizer.executor = get_executor("numpy")
    optimizer.step()
    blocks = math.ceil(10_000_000 / 256)
    assert optimizer.state_bytes() == 2 * 10_000_000 + 2 * 4 * blocks
    assert optimizer.state_bytes() / weight.array.size < 2.1


def test_8bit_state_bytes_are_codes_plus_block_scales():
    weight = Parameter(np.zeros((70, 90), dtype=np.float32))      # 6300 elements: quantized
    bias = Parameter(np.zeros(90, dtype=np.float32))               # small: float32 moments
    for param in (weight, bias):
        param.grad = np.ones(param.shape, dtype=np.float32)
    blocks = math.ceil(6300 / 2048)
    adam = optim.AdamW8bit([weight, bias], block_size=2048)
    lion = optim.Lion8bit([weight, bias], block_size=2048)
    for optimizer in (adam, lion):
        optimizer.executor = get_executor("numpy")
        optimizer.step()
    assert adam.state_bytes() == 2 * (6300 + 4 * blocks) + 2 * 90 * 4
    assert lion.state_bytes() == 6300 + 4 * blocks + 90 * 4


def test_8bit_state_holds_the_float_moments_within_the_block_bound():
    rng = np.random.default_rng(3)
    initial, grad = rng.standard_normal((40, 130)), rng.standard_normal((40, 130))
    params = [Parameter(initial.copy()), Parameter(initial.copy())]
    exact, eight_bit = optim.Adam(params[:1]), optim.Adam8bit(params[1:], block_size=64)
    for param, optimizer in zip(params, (exact, eight_bit)):
        optimizer.executor = get_executor("numpy")
        param.grad = grad.copy()
        optimizer.step()
    np.testing.assert_array_equal(params[0].array, params[1].array)   # step 1 is exact
    state, reference = eight_bit.state[params[1]], exact.state[params[0]]
    for name, signed in (("exp_avg", True), ("exp_avg_sq", False)):
        assert state[name].dtype == np.uint8
        back = q.dequantize_blockwise(state[name], state[name + "_absmax"], signed, 64,
                                      dtype=np.float64)
        error = np.abs(back - reference[name]).reshape(-1)
        error = np.concatenate([error, np.zeros(-error.size % 64)]).reshape(-1, 64).max(axis=1)
        absmax = state[name + "_absmax"].astype(np.float64)
        assert np.all(error <= q.max_roundtrip_error(absmax, signed) + 1e-6 * absmax)


BATCH = 128  # test_training.py uses 32; 4x fewer steps keeps this test at a few seconds


def digits_accuracy(make_optimizer):
    """The digits MLP recipe of test_training.py (but batches of 128), returning test accuracy."""
    pytest.importorskip("sklearn")
    from tinyopt import data, nn
    from tinyopt.train import evaluate, fit
    tinyopt.manual_seed(0)
    X_train, y_train, X_test, y_test = data.load_digits(seed=0, flatten=True)
    mean, std = X_train.array.mean(axis=0), X_train.array.std(axis=0) + 0.1
    X_train, X_test = tinyopt.Tensor((X_train.array - mean) / std), tinyopt.Tensor(
        (X_test.array - mean) / std)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = make_optimizer(model.parameters())
    optimizer.executor = get_executor("numpy")  # small tensors: the reference is fastest here
    train = data.DataLoader(data.TensorDataset(X_train, y_train), batch_size=BATCH, shuffle=True,
                            seed=0)
    fit(model, nn.CrossEntropyLoss(label_smoothing=0.1), optimizer, train, epochs=20,
        progress=False)
    test = data.DataLoader(data.TensorDataset(X_test, y_test), batch_size=256)
    return evaluate(model, nn.CrossEntropyLoss(), test)["accuracy"], optimizer


def test_adamw8bit_trains_the_digits_mlp_as_well_as_adamw():
    exact, _ = digits_accuracy(lambda ps: optim.AdamW(ps, lr=1e-3))
    eight_bit, optimizer = digits_accuracy(lambda ps: optim.AdamW8bit(ps, lr=1e-3))
    first_layer = optimizer.param_groups[0]["params"][0]
    assert first_layer.array.size == 256 * 64                    # >= 4096: really in 8 bits
    assert optimizer.state[first_layer]["exp_avg"].dtype == np.uint8
    assert exact >= 0.95
    assert abs(eight_bit - exact) <= 0.005                      # within 0.5 percentage points
