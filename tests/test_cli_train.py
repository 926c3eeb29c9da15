"""``tinyopt train``: outputs, and ``--resume`` after an interruption equals an unbroken run
(for the frontier recipes too: schedule-free checkpoints at x, Lookahead's slow weights, SAM's
closure, SophiaG's sampled Hessian and its random labels, AdaHessian's probes)."""
import json

import numpy as np
import pytest
from PIL import Image

from tinyopt import serialization
from tinyopt.cli import main

RUN = ["train", "--epochs", "4", "--hidden", "16", "--batch-size", "64", "--no-progress",
       "--optimizer", "adamw:weight_decay=0.05+warmup-cosine", "--max-grad-norm", "0.5"]


def _outputs(out):
    """The trained weights and the history without its wall times."""
    with np.load(out / "model.npz") as weights:
        model = {name: weights[name] for name in weights.files}
    history = json.loads((out / "history.json").read_text())
    del history["epochs"]["time"]
    return model, history


def test_train_writes_history_weights_checkpoint_and_curves(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--epochs", "3", "--no-progress", "--out", str(out)]) == 0
    history = json.loads((out / "history.json").read_text())
    assert len(history["epochs"]["train_loss"]) == 3
    assert history["epochs"]["val_accuracy"][-1] > 0.8  # SGD momentum on the moons
    assert history["epochs"]["epoch"] == [0, 1, 2]
    with np.load(out / "model.npz") as weights:
        assert weights["0.weight"].shape == (64, 2)
    with Image.open(out / "curves.png") as curves:
        assert curves.size[0] > 1200 and curves.size[1] > 800
    checkpoint = serialization.load(out / "checkpoint.npz")
    assert checkpoint["epochs_done"] == 3 and checkpoint["settings"]["optimizer"] == "momentum"
    assert "test accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("executor", ["numpy", "numba"])
def test_an_interrupted_run_resumed_equals_an_unbroken_one_exactly(executor, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", executor)
    assert main(RUN + ["--out", str(tmp_path / "whole")]) == 0
    assert main(RUN + ["--stop-after", "1", "--out", str(tmp_path / "parts")]) == 0
    assert main(["train", "--resume", "--stop-after", "2", "--out", str(tmp_path / "parts")]) == 0
    assert main(["train", "--resume", "--out", str(tmp_path / "parts")]) == 0
    whole_model, whole_history = _outputs(tmp_path / "whole")
    parts_model, parts_history = _outputs(tmp_path / "parts")
    assert whole_model.keys() == parts_model.keys()
    for name in whole_model:
        np.testing.assert_array_equal(whole_model[name], parts_model[name], err_msg=name)
    assert parts_history == whole_history  # every step's loss, lr and norms, bit for bit
    assert len(whole_history["steps"]["grad_norm_clipped"]) == 4 * 13


@pytest.mark.parametrize("recipe", ["schedulefree-sgd", "lookahead-mlp", "sam-mlp",
                                    "sophiag:lr=3e-3,rho=1.0,update_period=3", "adahessian-mlp"])
def test_a_resumed_frontier_run_equals_an_unbroken_one(recipe, tmp_path):
    run = ["train", "--epochs", "3", "--hidden", "16", "--batch-size", "64", "--no-progress",
           "--optimizer", recipe, "--max-grad-norm", "1.0"]
    assert main(run + ["--out", str(tmp_path / "whole")]) == 0
    assert main(run + ["--stop-after", "1", "--out", str(tmp_path / "parts")]) == 0
    assert main(["train", "--resume", "--out", str(tmp_path / "parts")]) == 0
    whole_model, whole_history = _outputs(tmp_path / "whole")
    parts_model, parts_history = _outputs(tmp_path / "parts")
    for name in whole_model:
        np.testing.assert_array_equal(whole_model[name], parts_model[name], err_msg=name)
    assert parts_history == whole_history
    assert whole_history["epochs"]["val_accuracy"][-1] > 0.8
    if recipe.startswith("sophia"):
        assert len(whole_history["steps"]["win_rate"]) == 3 * 13


def test_resume_refuses_other_settings_and_a_missing_checkpoint(tmp_path, capsys,
                                                                monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")
    assert main(["train", "--resume", "--out", str(tmp_path / "none")]) == 1
    assert "nothing to resume" in capsys.readouterr().err
    assert main(RUN + ["--stop-after", "1", "--out", str(tmp_path)]) == 0
    assert main(["train", "--resume", "--epochs", "9", "--out", str(tmp_path)]) == 1
    assert "--epochs 9 differs from the checkpoint's 4" in capsys.readouterr().err
