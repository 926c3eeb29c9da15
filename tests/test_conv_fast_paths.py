"""conv2d's plain backward (on raw arrays) equals the recorded one (tensor ops).

A plain ``backward()`` computes conv2d's gradients on the backend arrays;
under ``create_graph=True`` the same formula runs in tensor ops (both gather
the columns again, a chunk of images at a time). Both must give the same
gradients, float64 to 1e-10, over stride, padding, dilation and groups.
"""
import numpy as np
import pytest

import tinyopt
import tinyopt.nn.functional as F

CASES = [  # (in, out, kernel, stride, padding, dilation, groups, bias)
    (1, 16, 3, 1, 1, 1, 1, True),
    (4, 6, 3, 2, 1, 1, 2, True),
    (3, 5, (2, 3), (1, 2), (2, 0), (2, 1), 1, False),
    (4, 4, 3, 1, 0, 1, 4, True),
]


def _gradients(case, create_graph, rng_seed):
    c_in, c_out, kernel, stride, padding, dilation, groups, with_bias = case
    rng = np.random.default_rng(rng_seed)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = tinyopt.tensor(rng.standard_normal((3, c_in, 9, 8)), requires_grad=True)
    w = tinyopt.tensor(rng.standard_normal((c_out, c_in // groups, kh, kw)), requires_grad=True)
    b = tinyopt.tensor(rng.standard_normal(c_out), requires_grad=True) if with_bias else None
    out = F.conv2d(x, w, b, stride, padding, dilation, groups)
    v = tinyopt.tensor(rng.standard_normal(out.shape))
    inputs = [x, w] + ([b] if with_bias else [])
    grads = tinyopt.grad((out * v).sum(), inputs, create_graph=create_graph)
    return [g.array.copy() for g in grads], [g.requires_grad for g in grads]


@pytest.mark.parametrize("case", CASES)
def test_plain_backward_equals_recorded(case):
    plain, plain_tracked = _gradients(case, create_graph=False, rng_seed=7)
    recorded, recorded_tracked = _gradients(case, create_graph=True, rng_seed=7)
    assert not any(plain_tracked) and all(recorded_tracked[:2])  # dx needs w, dw needs x
    for got, expected in zip(plain, recorded):
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_plain_backward_keeps_float32():
    rng = np.random.default_rng(3)
    x = tinyopt.tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    conv = tinyopt.nn.Conv2d(3, 4, 3, padding=1)
    conv(x).sum().backward()
    assert x.grad.dtype == conv.weight.grad.dtype == conv.bias.grad.dtype == np.float32
    assert x.grad.shape == x.shape and conv.weight.grad.shape == conv.weight.shape
