"""N ranks × batch b equal one process with batch N·b: DDP and ZeRO-1, under ``mpiexec``.

Each test module launches ``mpiexec -n N`` once per N (every run of
``distributed_helpers.PARITY_RUNS`` in one launch) and compares each run's
final weights after 20 steps with the ordinary optimizer trained here, in
this one process, on the whole batch.
"""
import functools
import pickle

import numpy
import pytest

from distributed_helpers import BATCH, PARITY_RUNS, launch, mpi_available, train, weights_of

AVAILABLE, WHY = mpi_available()
pytestmark = pytest.mark.skipif(not AVAILABLE, reason=WHY)
TOLERANCE = {"float64": 1e-12, "float32": 1e-6}


@functools.lru_cache(maxsize=None)
def reference(name, dtype, batch, steps=20):
    """The ordinary optimizer, one process, batch ``batch``: (final weights, the optimizer)."""
    model, optimizer = train("plain", name, dtype, batch, steps)
    return weights_of(model), optimizer


@pytest.fixture(scope="module", params=[2, 4], ids=lambda n: f"{n}ranks")
def parity(request, tmp_path_factory):
    workers = request.param
    out = tmp_path_factory.mktemp("parity") / "result.pkl"
    finished = launch(workers, "parity", out)
    assert finished.returncode == 0, finished.stderr[-3000:]
    with open(out, "rb") as file:
        return workers, pickle.load(file)


@pytest.mark.parametrize("run", PARITY_RUNS, ids="-".join)
def test_ranks_equal_one_process_with_the_whole_batch(parity, run):
    workers, results = parity
    mode, name, dtype = run
    want_weights, _ = reference(name, dtype, BATCH * workers)
    weights, _ = results[run]
    for got, want in zip(weights, want_weights):
        assert got.dtype == want.dtype
        numpy.testing.assert_allclose(got, want, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])
    first_step, _ = reference(name, dtype, BATCH * workers, steps=1)
    moved = max(float(numpy.abs(a - b).max()) for a, b in zip(first_step, want_weights))
    assert moved > 100 * TOLERANCE[dtype]  # the comparison is not of two untrained models


@pytest.mark.parametrize("name", ["SGD", "AdamW", "LAMB", "LARS"])
def test_zero_keeps_a_1_over_n_share_of_the_state_per_rank(parity, name):
    workers, results = parity
    _, single = reference(name, "float64", BATCH * workers)
    _, zero_bytes = results[("zero", name, "float64")]
    _, ddp_bytes = results[("ddp", name, "float64")]
    assert ddp_bytes == [single.state_bytes()] * workers
    keys = sum(1 for value in next(iter(single.state.values())).values() if hasattr(value, "shape"))
    slack = keys * len(single.param_groups) * 8  # under one element of padding per group and key
    assert sum(zero_bytes) == single.state_bytes()  # the shares partition the state
    assert max(zero_bytes) <= single.state_bytes() / workers + slack
