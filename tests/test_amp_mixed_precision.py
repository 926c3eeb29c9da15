"""Mixed precision: float16 training stalls without loss scaling and converges with a
GradScaler; emulated bfloat16 needs no scaling; the bfloat16 rounding is torch's bit for bit."""
import numpy as np
import pytest

import tinyopt
from tinyopt import data, nn, optim
from tinyopt.amp import GradScaler, LowPrecisionModel, round_to_bfloat16
from tinyopt.autograd.ops.elementwise import bfloat16_round
from tinyopt.train import fit

LOSS_WEIGHT = 1e-6  # e.g. a small auxiliary loss: its gradients lie below float16's 6e-8


def _train(precision, scaler):
    tinyopt.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 8)).astype("float32")
    y = X @ rng.standard_normal((8, 4)).astype("float32") * 0.5
    loader = data.DataLoader(data.TensorDataset(tinyopt.Tensor(X), tinyopt.Tensor(y)),
                             batch_size=64, shuffle=True, seed=0)
    model = nn.Linear(8, 4)
    optimizer = optim.Adam(model.parameters(), lr=0.05, eps=1e-12)
    mse = nn.MSELoss()
    history = fit(model, lambda out, target: mse(out, target) * LOSS_WEIGHT, optimizer, loader,
                  epochs=30, progress=False, precision=precision, scaler=scaler)
    assert model.weight.dtype == np.float32   # the masters stay float32
    return history


def test_float16_stalls_without_scaling_and_converges_with_grad_scaler():
    reference = _train("float32", None).steps["loss"]
    unscaled = _train("float16", None).steps["loss"]
    scaled = _train("float16", GradScaler()).steps["loss"]
    assert reference[-1] < 1e-5 * reference[0]
    assert unscaled[-1] > 0.5 * unscaled[0]        # gradients underflowed: stalled
    assert scaled[-1] < 1e-5 * scaled[0]           # scaled by 2**16 they survive


def test_bfloat16_has_float32_range_and_needs_no_scaling():
    losses = _train("bfloat16", None).steps["loss"]
    assert losses[-1] < 1e-4 * losses[0]


def test_round_to_bfloat16_matches_torch_bit_for_bit():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    values = (rng.standard_normal(20000) * 10.0 ** rng.uniform(-40, 38, 20000)).astype("float32")
    specials = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 3.3961e38, 1 + 2 ** -8,
                         1 + 3 * 2 ** -8, 1e-45], "float32")
    values = np.concatenate([values, specials])
    expected = torch.from_numpy(values).to(torch.bfloat16).float().numpy()
    np.testing.assert_array_equal(round_to_bfloat16(values), expected)
    assert round_to_bfloat16(np.float32(1 + 2 ** -8)) == 1.0          # tie to even
    assert round_to_bfloat16(np.float32(1 + 3 * 2 ** -8)) == 1 + 2 ** -6


def test_low_precision_copy_dtypes_and_gradient_flow():
    tinyopt.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    x = tinyopt.Tensor(np.random.default_rng(0).standard_normal((4, 3)).astype("float32"))
    half = LowPrecisionModel(model, "float16")
    assert all(p.dtype == np.float16 for p in half.module.parameters())
    output = half(x)
    assert output.dtype == np.float32
    output.sum().backward()
    half.copy_grads_to_master()
    half.copy_grads_to_master()                 # nothing left to add the second time
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    np.testing.assert_allclose(model[2].bias.grad, [4.0, 4.0])
    assert all(p.grad is None for p in half.module.parameters())
    with pytest.raises(ValueError, match="precision must be one of"):
        LowPrecisionModel(model, "int8")

    emulated = LowPrecisionModel(model, "bfloat16")
    for param in emulated.module.parameters():
        np.testing.assert_array_equal(param.array, round_to_bfloat16(param.array))
    leaf = tinyopt.Tensor(np.array([1.00390625, 3.0], "float32"), requires_grad=True)
    (bfloat16_round(leaf) * np.float32(1 + 2 ** -9)).sum().backward()
    np.testing.assert_array_equal(leaf.grad, [1.0, 1.0])   # the gradient is rounded too
