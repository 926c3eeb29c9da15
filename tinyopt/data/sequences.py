"""Toy sequence tasks for recurrent networks: running sum, the adding problem, parity.

Each task needs the network to carry information across time steps, and the
longer ``seq_len`` is, the harder the gradient has to travel (which is the
point: vanishing gradients, clipping, gating).

Example::

    >>> from tinyopt.data import make_sequence_task
    >>> X, y = make_sequence_task(n_samples=8, seq_len=5, task="adding", seed=0)
    >>> X.shape, y.shape
    ((8, 5, 2), (8, 1))
"""
import numpy

from ._common import (check_non_negative, check_positive_int, float_tensor, host_rng,
                      label_tensor)

TASKS = ("sum", "adding", "parity")


def make_sequence_task(n_samples=1000, seq_len=10, task="sum", noise=0.0, seed=None):
    """Inputs of shape ``(n_samples, seq_len, features)`` and their targets.

    Tasks:
        ``"sum"``: one feature drawn uniformly in [0, 1] per step; the target
            is the sum over the sequence, float of shape (n_samples, 1).
        ``"adding"``: the adding problem of Hochreiter & Schmidhuber (1997).
            Two features per step: a value in [0, 1] and a marker that is 1 at
            exactly two steps (one in each half of the sequence) and 0
            elsewhere. The target is the sum of the two marked values, float
            of shape (n_samples, 1). Needs ``seq_len >= 2``.
        ``"parity"``: one feature per step, a bit in {0, 1}; the target is the
            parity of the number of ones, int64 class labels of shape (n_samples,).

    Args:
        n_samples: number of sequences.
        seq_len: number of time steps T.
        task: one of ``"sum"``, ``"adding"``, ``"parity"``.
        noise: for ``"sum"`` and ``"adding"``, the standard deviation of
            Gaussian noise added to the target; for ``"parity"``, the
            fraction of labels flipped at random (in [0, 1]).
        seed: integer seed, or None to draw from ``backend.rng()``.

    Returns:
        ``(X, y)`` tensors; X has the default float dtype.
    """
    n_samples = check_positive_int("n_samples", n_samples)
    seq_len = check_positive_int("seq_len", seq_len)
    noise = check_non_negative("noise", noise)
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    rng = host_rng(seed)

    if task == "sum":
        X = rng.uniform(0.0, 1.0, size=(n_samples, seq_len, 1))
        y = X.sum(axis=(1, 2))[:, None] + noise * rng.standard_normal((n_samples, 1))
        return float_tensor(X), float_tensor(y)

    if task == "adding":
        if seq_len < 2:
            raise ValueError(f"the adding task needs seq_len >= 2, got {seq_len}")
        values = rng.uniform(0.0, 1.0, size=(n_samples, seq_len))
        half = seq_len // 2
        first = rng.integers(0, half, size=n_samples)
        second = rng.integers(half, seq_len, size=n_samples)
        markers = numpy.zeros((n_samples, seq_len))
        rows = numpy.arange(n_samples)
        markers[rows, first] = 1.0
        markers[rows, second] = 1.0
        X = numpy.stack([values, markers], axis=2)
        y = (values * markers).sum(axis=1)[:, None] + noise * rng.standard_normal((n_samples, 1))
        return float_tensor(X), float_tensor(y)

    if noise > 1:
        raise ValueError(f"for the parity task noise is a flip fraction in [0, 1], got {noise}")
    bits = rng.integers(0, 2, size=(n_samples, seq_len, 1))
    y = bits.sum(axis=(1, 2)) % 2
    flipped = rng.random(n_samples) < noise
    y = numpy.where(flipped, 1 - y, y)
    return float_tensor(bits), label_tensor(y)
