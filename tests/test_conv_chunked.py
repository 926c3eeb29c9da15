"""The convolution, taken a chunk of images at a time, equals the whole batch at once.

``ops/conv.py`` builds the column matrix in chunks of ``CHUNK_BYTES`` in
the forward, and gathers it again, chunk by chunk, in the backward.
Shrinking the budget so that every image is its own chunk (or chunks of 2
with a remainder) must change nothing: the output, plain gradients (float64,
1e-12), second-order gradients under ``create_graph=True``, and every option
of ``conv2d``.
"""
import numpy as np
import pytest

import tinyopt
import tinyopt.nn.functional as F
from tinyopt.autograd.ops import conv

OPTIONS = [dict(stride=1, padding=1), dict(stride=2, padding=0, dilation=2),
           dict(stride=(2, 1), padding=(1, 2), groups=2)]


def _gradients(options, create_graph):
    rng = np.random.default_rng(0)
    x = tinyopt.tensor(rng.standard_normal((5, 4, 9, 8)), requires_grad=True)
    weight = tinyopt.tensor(rng.standard_normal((6, 4 // options.get("groups", 1), 3, 3)),
                            requires_grad=True)
    bias = tinyopt.tensor(rng.standard_normal(6), requires_grad=True)
    out = F.conv2d(x, weight, bias, **options)
    probe = tinyopt.tensor(rng.standard_normal(out.shape))
    with tinyopt.enable_grad():
        grads = tinyopt.grad((out * out * probe).sum(), [x, weight, bias],
                             create_graph=create_graph)
        if create_graph:  # differentiate the gradients once more
            grads = grads + tinyopt.grad(sum((g * g).sum() for g in grads), [x, weight])
    return [out.array] + [g.array for g in grads]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("images_per_chunk", [1, 2])
def test_chunked_conv_equals_the_whole_batch(options, create_graph, images_per_chunk,
                                                 monkeypatch):
    whole = _gradients(options, create_graph)
    monkeypatch.setattr(conv, "images_per_chunk", lambda _: images_per_chunk)
    chunked = _gradients(options, create_graph)
    assert len(chunked) == len(whole)
    for a, b in zip(chunked, whole):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_images_per_chunk_keeps_columns_within_the_budget():
    assert conv.images_per_chunk(conv.CHUNK_BYTES // 4) == 4
    assert conv.images_per_chunk(conv.CHUNK_BYTES * 10) == 1  # one image at least
    assert conv.images_per_chunk(0) == conv.CHUNK_BYTES
