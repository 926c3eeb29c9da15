"""``tinyopt train --workers 2`` (under mpiexec) equals one process with the doubled batch:
the same final weights, losses and test metrics, with DistributedDataParallel and with ZeRO-1
(resumed from a checkpoint midway)."""
import numpy as np
import pytest
from distributed_helpers import mpi_available
from test_cli_train import _outputs

from tinyopt.cli import main
from tinyopt.distributed import training

AVAILABLE, WHY = mpi_available()
RUN = ["train", "--epochs", "2", "--hidden", "16", "--no-progress", "--optimizer",
       "adamw:weight_decay=0.05+warmup-cosine", "--max-grad-norm", "0.5"]
TOLERANCE = 2e-6
"""float32: the ranks' gradient means are summed in another order than one batch's."""


@pytest.mark.skipif(not AVAILABLE, reason=WHY)
def test_two_workers_equal_one_process_with_the_doubled_batch(tmp_path):
    assert main(RUN + ["--batch-size", "64", "--out", str(tmp_path / "one")]) == 0
    assert main(RUN + ["--batch-size", "32", "--workers", "2",
                       "--out", str(tmp_path / "ddp")]) == 0
    zero = ["--batch-size", "32", "--workers", "2", "--zero", "--out", str(tmp_path / "zero")]
    assert main(RUN + zero + ["--stop-after", "1"]) == 0
    assert main(["train", "--resume", "--workers", "2", "--zero", "--no-progress",
                 "--out", str(tmp_path / "zero")]) == 0
    want_model, want = _outputs(tmp_path / "one")
    for run in ("ddp", "zero"):
        model, history = _outputs(tmp_path / run)
        assert model.keys() == want_model.keys()
        for name in model:
            np.testing.assert_allclose(model[name], want_model[name], rtol=TOLERANCE,
                                       atol=TOLERANCE, err_msg=f"{run} {name}")
        for key in ("loss", "grad_norm", "grad_norm_clipped", "weight_norm", "lr"):
            assert len(history["steps"][key]) == 2 * 13
            np.testing.assert_allclose(history["steps"][key], want["steps"][key],
                                       rtol=TOLERANCE, err_msg=f"{run} {key}")
        for key in ("train_loss", "val_loss"):
            np.testing.assert_allclose(history["epochs"][key], want["epochs"][key],
                                       rtol=TOLERANCE, err_msg=f"{run} {key}")
        assert history["epochs"]["val_accuracy"] == want["epochs"]["val_accuracy"]


def test_options_the_workers_cannot_run_are_refused_before_launching(tmp_path, capsys,
                                                                      monkeypatch):
    monkeypatch.setattr(training, "launch", lambda *args: pytest.fail("launched"))
    assert main(RUN[:-4] + ["--optimizer", "adahessian", "--workers", "2",
                            "--out", str(tmp_path / "a")]) == 1
    assert "--workers 2: AdaHessian differentiates the loss itself" in capsys.readouterr().err
    assert main(RUN[:-4] + ["--optimizer", "muon", "--workers", "2", "--zero",
                            "--out", str(tmp_path / "b")]) == 1
    assert "--zero: Muon is not supported under ZeRO" in capsys.readouterr().err


def test_a_missing_mpiexec_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(training, "find_mpiexec", lambda: None)
    assert main(RUN + ["--workers", "2", "--out", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert "--workers 2 needs mpiexec" in error and "tinyopt[dist]" in error


def test_batches_must_split_into_equal_shares():
    training.check_even_shares(800, 64, 2)  # 12 batches of 64, a last one of 32
    with pytest.raises(ValueError, match="3 workers cannot share a batch of 32 rows"):
        training.check_even_shares(800, 96, 3)
    with pytest.raises(ValueError, match="batch of 10 rows"):
        training.check_even_shares(100, 10, 4)
