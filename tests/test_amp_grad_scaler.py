"""GradScaler against ``torch.amp.GradScaler("cpu")``: the same scales, skipped steps,
parameters and state over a run with inf/NaN gradients, plus its API contracts."""
import numpy as np
import pytest

from tinyopt import nn, optim
from tinyopt.amp import GradScaler
from tinyopt.nn.utils import clip_grad_norm_

torch = pytest.importorskip("torch")
BAD_STEPS = {4: np.inf, 5: np.nan, 17: -np.inf}


def _gradient(step):
    grad = np.random.default_rng(step).standard_normal(4).astype("float32")
    if step in BAD_STEPS:
        grad[1] = BAD_STEPS[step]
    return grad


def test_scaler_matches_torch_over_a_run_with_overflows():
    settings = dict(init_scale=2.0 ** 10, growth_factor=1.5, backoff_factor=0.3,
                    growth_interval=3)
    param = nn.Parameter(np.ones(4, "float32"))
    optimizer = optim.SGD([param], lr=0.1, momentum=0.9)
    scaler = GradScaler(**settings)
    reference = torch.nn.Parameter(torch.ones(4))
    torch_optimizer = torch.optim.SGD([reference], lr=0.1, momentum=0.9)
    torch_scaler = torch.amp.GradScaler("cpu", **settings)
    for step in range(30):
        grad = _gradient(step)
        param.grad = scaler.scale(grad).astype("float32")
        reference.grad = torch_scaler.scale(torch.tensor(grad))
        if step % 2:  # unscale first and clip, as a loop with clipping does
            scaler.unscale_(optimizer)
            torch_scaler.unscale_(torch_optimizer)
            clip_grad_norm_([param], 1.0)
            torch.nn.utils.clip_grad_norm_([reference], 1.0)
        result = scaler.step(optimizer)
        torch_result = torch_scaler.step(torch_optimizer)
        assert result is None and torch_result is None   # SGD.step() returns no loss
        assert scaler.last_step_skipped == (step in BAD_STEPS)
        scaler.update()
        torch_scaler.update()
        assert scaler.get_scale() == torch_scaler.get_scale()
        np.testing.assert_allclose(param.array, reference.detach().numpy(), rtol=1e-6)
    assert scaler.state_dict() == torch_scaler.state_dict()


def test_fp16_underflow_is_what_scaling_rescues():
    tiny = np.float32(1e-8)
    assert np.float16(tiny) == 0                              # lost in float16
    assert np.float16(tiny * GradScaler().get_scale()) != 0   # kept once scaled by 2**16


def test_state_dict_round_trip_and_disabled_passthrough():
    scaler = GradScaler(init_scale=8.0, growth_interval=2)
    param = nn.Parameter(np.ones(2, "float32"))
    optimizer = optim.SGD([param], lr=0.1)
    for _ in range(3):
        param.grad = np.ones(2, "float32")
        scaler.step(optimizer)
        scaler.update()
    restored = GradScaler()
    restored.load_state_dict(scaler.state_dict())
    assert restored.state_dict() == scaler.state_dict() and restored.get_scale() == 16.0

    off = GradScaler(enabled=False)
    value = np.ones(2)
    assert off.scale(value) is value and off.get_scale() == 1.0 and off.state_dict() == {}
    param.grad = np.full(2, np.inf, "float32")
    off.step(optimizer)   # a disabled scaler steps regardless, like torch
    assert not np.isfinite(param.array).any()


def test_misuse_raises_clear_errors():
    param = nn.Parameter(np.ones(2, "float32"))
    optimizer = optim.SGD([param], lr=0.1)
    scaler = GradScaler()
    param.grad = np.ones(2, "float32")
    scaler.unscale_(optimizer)
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(optimizer)
    scaler.step(optimizer)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(optimizer)
    scaler.update()
    with pytest.raises(RuntimeError, match="at least one"):
        scaler.update()
    half = nn.Parameter(np.ones(2, "float16"))
    half.grad = np.ones(2, "float16")
    with pytest.raises(ValueError, match="float16 gradients"):
        scaler.unscale_(optim.SGD([half], lr=0.1))
    with pytest.raises(ValueError, match="growth_interval"):
        GradScaler(growth_interval=0)
    with pytest.raises(ValueError, match="backoff_factor"):
        GradScaler(backoff_factor=1.5)
