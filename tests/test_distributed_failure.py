"""A rank that fails in the middle of a step ends the whole job quickly, with a clear error.

MPI collectives have no timeout: without care the other ranks would wait
forever in the reduce-scatter. An uncaught exception aborts every rank
(``init()``'s hook); a rank that exits outright is caught by the launcher.
Either way ``mpiexec`` must return non-zero well within the launch timeout
(``subprocess`` raises ``TimeoutExpired`` otherwise, failing the test).
"""
import pytest

from distributed_helpers import launch, mpi_available

AVAILABLE, WHY = mpi_available()
pytestmark = pytest.mark.skipif(not AVAILABLE, reason=WHY)


def test_an_exception_on_one_rank_aborts_all_ranks_and_names_it(tmp_path):
    finished = launch(2, "die", tmp_path / "never.pkl", "raise", timeout=60)
    assert finished.returncode != 0
    assert "rank 1 of 2 failed; aborting all ranks" in finished.stderr
    assert "RuntimeError: rank 1 fails on purpose" in finished.stderr
    assert not (tmp_path / "never.pkl").exists()


def test_a_rank_that_exits_mid_step_ends_the_job(tmp_path):
    finished = launch(2, "die", tmp_path / "never.pkl", "exit", timeout=60)
    assert finished.returncode == 7  # the dead rank's exit status, reported by mpiexec
    assert not (tmp_path / "never.pkl").exists()
