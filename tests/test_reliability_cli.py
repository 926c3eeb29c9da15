"""The command line loses no run and says clearly what went wrong.

An earlier run's outputs are never overwritten without ``--overwrite`` (or
``--resume``); an ``--out`` that cannot be written is one line before any work;
usage errors exit 2; a diverged run is warned about and marked, and ``train``
then exits 1.
"""
import json
import os

import pytest

from tinyopt import cli
from tinyopt.cli import main

FAST = {
    "train": ["train", "--epochs", "1", "--hidden", "8", "--no-progress"],
    "compare": ["compare", "--fast", "--recipes", "sgd", "--no-progress"],
    "race": ["race", "--fast", "--no-gif", "--optimizers", "sgd", "--no-progress"],
    "schedule": ["schedule", "cosine", "--steps", "20"],
    "lr-find": ["lr-find", "--fast", "--hidden", "8", "--no-progress"],
}


def _one_error_line(capsys, command):
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith(f"tinyopt {command}: error: "), error
    return error


def _contents(folder):
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


@pytest.mark.parametrize("command", sorted(FAST))
def test_a_second_run_into_the_same_folder_is_refused_unless_overwrite(command, tmp_path,
                                                                       capsys, monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")
    out = tmp_path / "out"
    assert main(FAST[command] + ["--out", str(out)]) == 0
    before = _contents(out)
    capsys.readouterr()
    assert main(FAST[command] + ["--seed", "1"] * (command in ("train", "compare", "lr-find"))
                + ["--out", str(out)]) == 1
    error = _one_error_line(capsys, command)
    assert "holds an earlier run's outputs" in error and "--overwrite" in error
    assert _contents(out) == before  # nothing touched
    assert main(FAST[command] + ["--overwrite", "--out", str(out)]) == 0


def test_train_over_a_longer_run_keeps_its_checkpoint(tmp_path, capsys, monkeypatch):
    """The issue's case: a 3-epoch run, then a 1-epoch run into the same folder."""
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")
    out = tmp_path / "D"
    assert main(["train", "--epochs", "3", "--hidden", "8", "--no-progress",
                 "--out", str(out)]) == 0
    before = _contents(out)
    assert main(["train", "--epochs", "1", "--no-progress", "--out", str(out)]) == 1
    assert "--resume to continue it" in _one_error_line(capsys, "train")
    assert _contents(out) == before
    assert main(["train", "--resume", "--no-progress", "--out", str(out)]) == 0  # allowed


@pytest.mark.parametrize("command", sorted(FAST))
def test_help_says_how_earlier_outputs_are_treated(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--overwrite" in text and "earlier run's outputs" in text


@pytest.mark.parametrize("where", ["file", "inside a file", "read-only"])
def test_an_unwritable_out_is_one_line_before_any_work(where, tmp_path, capsys, monkeypatch):
    if where == "read-only" and os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    blocker = tmp_path / "blocker"
    if where == "read-only":
        blocker.mkdir()
        blocker.chmod(0o500)
        out = blocker / "run"
    else:
        blocker.write_text("a file")
        out = blocker if where == "file" else blocker / "run"

    def no_training(*args, **kwargs):
        raise AssertionError("training started before --out was checked")

    monkeypatch.setattr("tinyopt.train.fit", no_training)
    monkeypatch.setattr("tinyopt.cli.models.load_data", no_training)
    try:
        for command in ("train", "compare", "lr-find", "race", "schedule"):
            assert main(FAST[command] + ["--out", str(out)]) == 1
            error = _one_error_line(capsys, command)
            assert str(out) in error and "--out" in error
    finally:
        blocker.chmod(0o700) if blocker.is_dir() else None


@pytest.mark.parametrize("argv, message", [
    (["train", "--seed", "-1"], "argument --seed: must be an int >= 0, got -1"),
    (["compare", "--seed", "-1"], "argument --seed: must be an int >= 0, got -1"),
    (["lr-find", "--seed", "-1"], "argument --seed: must be an int >= 0, got -1"),
    (["compare", "--recipes", "adam", "sgd", "adam"], "recipe 'adam' is given twice"),
    (["race", "--optimizers", "sgd", "sgd"], "optimizer 'sgd' is given twice"),
    (["schedule", "cosine", "cosine"], "schedule 'cosine' is given twice"),
    (["lr-find", "--start-lr", "1", "--end-lr", "1"], "--start-lr 1 must be below --end-lr 1"),
    (["bench", "step", "--params", "0"], "argument --params: must be a positive int, got 0"),
    (["bench", "step", "--repeat", "0"], "argument --repeat: must be a positive int, got 0"),
    (["bench", "train", "--samples", "0"], "argument --samples: must be a positive int, got 0"),
    (["bench", "train", "--epochs", "-3"], "argument --epochs: must be a positive int, got -3"),
])
def test_usage_errors_exit_2_with_one_line_and_touch_nothing(argv, message, tmp_path, capsys):
    out = ["--out", str(tmp_path / "out")] if argv[0] != "bench" else []
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv + out)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith(f"tinyopt {argv[0]}"), error
    assert ": error: " in error and message in error, error
    assert not (tmp_path / "out").exists()


def test_a_diverged_train_run_warns_marks_and_exits_1(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")
    out = tmp_path / "run"
    assert main(["train", "--optimizer", "adam:lr=1e6", "--epochs", "2", "--no-progress",
                 "--out", str(out)]) == 1
    streams = capsys.readouterr()
    assert "tinyopt train: error: the run diverged" in streams.err
    assert "training loss rose from" in streams.err
    history = json.loads((out / "history.json").read_text())
    assert "training loss rose" in history["diverged"]
    assert not (out / "model.npz").exists() and (out / "curves.png").exists()


def test_a_train_run_stopped_by_an_inf_gradient_keeps_its_history(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")
    out = tmp_path / "run"
    assert main(["train", "--optimizer", "sgd:lr=1e12", "--epochs", "2", "--no-progress",
                 "--out", str(out)]) == 1
    assert "the run diverged" in capsys.readouterr().err
    diverged = json.loads((out / "history.json").read_text())["diverged"]
    # fit stops at the first inf gradient, before the update that would ruin the weights
    assert "the gradient norm became inf at step 1, before the update" in diverged


def test_compare_flags_a_diverged_recipe_and_runs_the_others(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")
    out = tmp_path / "run"
    assert main(["compare", "--fast", "--no-progress", "--recipes", "adam:lr=1e6", "adam",
                 "--out", str(out)]) == 0
    streams = capsys.readouterr()
    assert "tinyopt compare: warning: recipe 'adam:lr=1e6' diverged" in streams.err
    results = json.loads((out / "results.json").read_text())["results"]
    assert "diverged" in results[0] and "test_accuracy" in results[1]
    assert "| `adam:lr=1e6` | diverged |" in (out / "report.md").read_text()


def test_race_flags_a_path_that_ends_at_nan(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["race", "--fast", "--no-gif", "--no-progress", "--optimizers", "sgd:lr=10",
                 "adam", "--out", str(out)]) == 0
    streams = capsys.readouterr()
    assert "tinyopt race: warning: sgd:lr=10 diverged" in streams.err
    paths = json.loads((out / "paths.json").read_text())
    assert paths["diverged"] == ["sgd:lr=10"]
    assert "sgd:lr=10 (diverged)" in paths["paths"]
    assert "sgd:lr=10 (diverged)" in streams.out
