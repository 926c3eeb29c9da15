"""Helpers shared by the autograd test files (test_autograd_engine_*.py, test_autograd_ops_*.py).

``leaf`` and ``uniform`` make float64 tensors that require grad; ``quick``,
``seeds`` and ``nonempty`` are the hypothesis settings and strategies the
property-based gradient checks draw from.
"""
import numpy as np
from hypothesis import settings, strategies as st
from hypothesis.extra import numpy as hnp

from tinyopt import Tensor

quick = settings(deadline=None, max_examples=30)
seeds = st.integers(0, 2**32 - 1)
nonempty = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def leaf(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def uniform(rng, shape, low=-2.0, high=2.0):
    return leaf(rng.uniform(low, high, size=shape))
