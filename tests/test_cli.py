"""The ``tinyopt`` command: outputs it writes and exit codes on bad input."""
import json
import subprocess
import sys

import pytest

from tinyopt.cli import main


def test_train_writes_history_checkpoint_and_plot(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--epochs", "3", "--no-progress", "--out", str(out)])
    assert code == 0
    history = json.loads((out / "history.json").read_text())
    assert len(history["epochs"]["train_loss"]) == 3
    assert history["epochs"]["val_accuracy"][-1] > 0.8
    assert (out / "model.npz").stat().st_size > 0
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "test accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["train", "--dataset", "nope"], "invalid choice"),
    (["train", "--epochs", "0"], "positive int"),
    (["train", "--lr", "-1"], "must be > 0"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_bad_arguments_exit_non_zero_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code != 0
    assert message in capsys.readouterr().err


def test_bench_train_reports_a_ratio_as_json(capsys):
    code = main(["bench", "train", "--samples", "256", "--epochs", "1", "--hidden", "32",
                 "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["tinyopt_ms_per_epoch"] > 0
    if "torch_ms_per_epoch" in result:
        assert result["ratio_tinyopt_over_torch"] == pytest.approx(
            result["tinyopt_ms_per_epoch"] / result["torch_ms_per_epoch"])


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "tinyopt", "--help"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0
    assert "train" in result.stdout and "bench" in result.stdout
