"""The collectives on 3 MPI ranks (an odd count) give what their formulas say, on every rank."""
import pickle

import pytest

from distributed_helpers import launch, mpi_available

AVAILABLE, WHY = mpi_available()
pytestmark = pytest.mark.skipif(not AVAILABLE, reason=WHY)


def test_each_collective_on_every_rank(tmp_path):
    finished = launch(3, "collectives", tmp_path / "result.pkl")
    assert finished.returncode == 0, finished.stderr[-3000:]
    with open(tmp_path / "result.pkl", "rb") as file:
        result = pickle.load(file)
    assert result["world_size"] == 3
    for rank, checks in enumerate(result["ranks"]):
        assert len(checks) == 7
        failed = [name for name, ok in checks.items() if not ok]
        assert not failed, f"rank {rank}: {failed}"
