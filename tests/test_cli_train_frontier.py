"""``tinyopt train`` with the frontier recipes: an interrupted, resumed run equals an
unbroken one bit for bit (schedule-free checkpoints at x, Lookahead's slow weights, SAM's
closure, SophiaG's sampled Hessian and its random labels, AdaHessian's probes)."""
import json

import numpy as np
import pytest

from tinyopt.cli import main


def _outputs(out):
    with np.load(out / "model.npz") as weights:
        model = {name: weights[name] for name in weights.files}
    history = json.loads((out / "history.json").read_text())
    del history["epochs"]["time"]
    return model, history


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
