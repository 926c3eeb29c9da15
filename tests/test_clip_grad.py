"""Gradient clipping and norms: PyTorch parity (float64 exact, float32 to rounding), the
returned pre-clipping norm, inf/non-finite handling and argument checks."""
import math

import numpy as np
import pytest

from tinyopt import nn
from tinyopt.nn.utils import clip_grad_norm_, clip_grad_value_, get_total_norm, grad_norm

torch = pytest.importorskip("torch")
SHAPES = [(3, 4), (5,), (2, 2, 2), (1,)]


def _pair(dtype, scale=3.0, seed=0):
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(shape).astype(dtype) * scale for shape in SHAPES]
    ours = [nn.Parameter(np.zeros(shape, dtype)) for shape in SHAPES]
    theirs = [torch.zeros(shape, dtype=getattr(torch, dtype), requires_grad=True)
              for shape in SHAPES]
    for mine, reference, grad in zip(ours, theirs, grads):
        mine.grad, reference.grad = grad.copy(), torch.tensor(grad)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("dtype, rtol", [("float64", 0.0), ("float32", 2e-6)])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, dtype, rtol, max_norm):
    ours, theirs = _pair(dtype)
    total = clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, float(norm_type))
    assert isinstance(total, float)
    np.testing.assert_allclose(total, expected.item(), rtol=rtol)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=rtol, atol=0)


def test_returns_norm_before_clipping_and_clips_to_max_norm():
    ours, _ = _pair("float64")
    before = grad_norm(ours)
    assert clip_grad_norm_(ours, 1.0) == before
    assert grad_norm(ours) == pytest.approx(1.0, rel=1e-5)
    assert clip_grad_norm_(ours, 10.0) == pytest.approx(1.0, rel=1e-5)   # below: untouched
    assert grad_norm(ours) == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_value_matches_torch_and_skips_missing_grads():
    ours, theirs = _pair("float32")
    ours.append(nn.Parameter(np.ones(2, "float32")))  # no grad: skipped
    clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_array_equal(mine.grad, reference.grad.numpy())
    assert ours[-1].grad is None


def test_non_finite_norm_raises_only_when_asked():
    ours, _ = _pair("float64")
    ours[1].grad[2] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    assert math.isinf(clip_grad_norm_(ours, 1.0))
    ours, _ = _pair("float64")
    ours[0].grad[0, 0] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)


def test_helpers_and_bad_arguments():
    assert clip_grad_norm_([], 1.0) == 0.0
    assert float(get_total_norm([np.array([3.0]), np.array([4.0])])) == 5.0
    single = nn.Parameter(np.zeros(2))
    single.grad = np.array([3.0, -4.0])
    assert grad_norm(single) == 5.0 and grad_norm(single, "inf") == 4.0
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        clip_grad_norm_([single], 0.0)
    with pytest.raises(ValueError, match="norm_type must be > 0"):
        clip_grad_norm_([single], 1.0, norm_type=-1)
    with pytest.raises(ValueError, match="clip_value must be > 0"):
        clip_grad_value_([single], -1.0)
