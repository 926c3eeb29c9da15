"""``tinyopt sweep``: 3 values x 2 seeds in seconds, diverged values marked, the linear
scaling rule's rates, and the figure's error bars and crosses."""
import json

import pytest

from tinyopt.cli import main
from tinyopt.viz import plot_sweep

FAST = ["--fast", "--epochs", "1", "--no-progress"]


@pytest.fixture(autouse=True)
def numpy_executor(monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")


def test_an_lr_sweep_over_three_values_and_two_seeds_marks_the_diverged(tmp_path, capsys):
    out = tmp_path / "lr"
    assert main(["sweep", "--param", "lr", "--values", "0.03,0.3,30", "--seeds", "0,1",
                 "--out", str(out)] + FAST) == 0
    saved = json.loads((out / "results.json").read_text())
    runs = saved["results"]
    assert [(r["value"], r["seed"]) for r in runs] == [(v, s) for v in (0.03, 0.3, 30.0)
                                                       for s in (0, 1)]
    assert [r["lr"] for r in runs] == [0.03, 0.03, 0.3, 0.3, 30.0, 30.0]
    assert all("diverged" in r for r in runs[4:]) and not any("diverged" in r for r in runs[:4])
    summary = saved["summary"]
    assert [row["diverged"] for row in summary] == [0, 0, 2]
    assert summary[1]["final_train_loss"] < summary[0]["final_train_loss"]
    assert 0 < summary[1]["final_train_loss_std"]  # two seeds differ
    assert (out / "sweep.png").exists()
    printed = capsys.readouterr().out
    assert "lr 30" in printed and "diverged 2/2" in printed
    figure = plot_sweep(runs, "lr")
    loss_axis = figure.axes[0]
    assert loss_axis.get_xscale() == "log" and loss_axis.get_yscale() == "log"
    crosses = [line for line in loss_axis.lines if line.get_marker() == "X" and
               len(line.get_xdata())]
    assert [list(line.get_xdata()) for line in crosses] == [[30.0]]
    assert len(loss_axis.containers) == 2  # final and best, each with error bars


def test_a_batch_size_sweep_scales_the_rate(tmp_path):
    out = tmp_path / "batch"
    assert main(["sweep", "--param", "batch_size", "--values", "16,64", "--scale-lr", "sqrt",
                 "--batch-size", "16", "--optimizer", "adam", "--lr", "0.01",
                 "--out", str(out)] + FAST) == 0
    runs = json.loads((out / "results.json").read_text())["results"]
    assert [(r["value"], r["lr"]) for r in runs] == [(16, 0.01), (64, 0.02)]


@pytest.mark.parametrize("flags,message", [
    (["--param", "lr", "--values", "0.1", "--optimizer", "sgd:lr=0.1"], "drop the recipe's lr"),
    (["--param", "lr", "--values", "0.1", "--scale-lr", "linear"], "batch_size only"),
    (["--param", "batch_size", "--values", "16.5"], "must be ints"),
])
def test_contradictions_fail_with_one_line(flags, message, tmp_path, capsys):
    assert main(["sweep", "--out", str(tmp_path)] + flags + FAST) == 1
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("flags", [["--param", "momentum", "--values", "0.1"],
                                   ["--param", "lr", "--values", "0.1,-1"],
                                   ["--param", "lr", "--values", "0.1,0.1"],
                                   ["--param", "lr", "--values", "0.1", "--seeds", "a"]])
def test_usage_errors_exit_2(flags, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", "--out", str(tmp_path)] + flags)
    assert exit_info.value.code == 2
