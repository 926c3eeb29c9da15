"""The options lecturers asked for, through the command line: labels, titles, figure size and
dpi, the raw loss, spikes, schedules in panels, plain warmup and plateau, the schedules'
full settings in reports, and the exit status when every run diverged."""
import csv
import json

import numpy as np
import pytest
from PIL import Image

from tinyopt import nn, optim, recipes
from tinyopt.cli import main
from tinyopt.cli.schedule import plateau_rates


@pytest.fixture(autouse=True)
def numpy_executor(monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")


COMPARE = ["compare", "--fast", "--no-progress", "--recipes", "sgd", "adam"]


def test_compare_labels_title_raw_loss_size_and_dpi(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(COMPARE + ["--labels", "plain SGD", "Adam", "--title", "Two optimizers",
                           "--raw-loss", "--figsize", "10,4", "--dpi", "60",
                           "--out", str(out)]) == 0
    with Image.open(out / "curves.png") as image:
        assert image.size == (600, 240)
    assert "--figsize" not in capsys.readouterr().err  # nothing clipped at 10 x 4 inches


@pytest.mark.parametrize("argv, message", [
    (COMPARE + ["--labels", "one"], "argument --labels: 1 label(s) for 2 recipes: give one "
                                    "per recipe"),
    (COMPARE + ["--labels", "same", "same"], "label 'same' is given twice"),
    (COMPARE + ["--figsize", "10"], "argument --figsize: must be two numbers 'W,H' (inches)"),
    (COMPARE + ["--figsize", "10,-1"], "argument --figsize: must be two numbers > 0"),
    (COMPARE + ["--dpi", "0"], "argument --dpi: must be > 0"),
    (COMPARE + ["--skip-spikes"], "argument --skip-spikes: needs --spikes RELATIVE"),
    (["schedule", "cosine", "--columns", "2"], "argument --columns: needs --panels"),
    (["schedule", "cosine", "step", "--labels", "a"], "argument --labels: 1 label(s) for 2 "
                                                      "schedules"),
])
def test_bad_figure_options_are_usage_errors_naming_the_argument(argv, message, tmp_path,
                                                                 capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv + ["--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1


def test_a_figure_too_small_for_its_text_is_warned_about(tmp_path, capsys):
    assert main(COMPARE + ["--figsize", "4,2", "--out", str(tmp_path / "out")]) == 0
    assert "warning: --figsize 4,2 is too small for curves:" in capsys.readouterr().err


def test_spikes_are_detected_counted_and_reported(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(COMPARE + ["--spikes", "0.02", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    saved = json.loads((out / "results.json").read_text())
    for result in saved["results"]:
        spikes = saved["histories"][result["recipe"]].get("spikes", [])
        assert result["spikes"] == len(spikes)
    assert any(result["spikes"] for result in saved["results"])  # 2 % over the median: some
    assert "loss spike" in printed
    assert "Loss spikes (a step's loss above 1.02 times the median of the last 20)" in \
        (out / "report.md").read_text()


def test_compare_exits_1_when_every_recipe_diverged(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["compare", "--fast", "--no-progress", "--recipes", "sgd:lr=1e4",
                 "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert "warning: recipe 'sgd:lr=1e4' diverged" in error
    assert "error: every recipe diverged (sgd:lr=1e4)" in error
    assert (out / "report.md").exists()  # the report says what happened


def test_reports_spell_out_every_schedule_setting(tmp_path):
    out = tmp_path / "out"
    assert main(["compare", "--fast", "--no-progress", "--recipes", "sgd+step",
                 "momentum+exponential", "--out", str(out)]) == 0
    report = (out / "report.md").read_text()
    assert "`sgd+step`: SGD(lr=0.1) + step(step_size=16, gamma=0.1)" in report  # 50 steps
    assert f"+ exponential(gamma={0.01 ** (1 / 50):.6g})" in report
    recipe = recipes.parse_recipe("adamw:lr=1e-3+onecycle")
    assert recipe.describe(200) == ("AdamW(lr=0.001) + onecycle(max_lr=0.001, "
                                    "total_steps=200)")
    assert recipe.describe() == "AdamW(lr=0.001) + onecycle"


def test_sweep_and_lr_find_take_a_title(tmp_path):
    assert main(["sweep", "--param", "lr", "--values", "0.01,0.1", "--fast", "--no-progress",
                 "--title", "", "--dpi", "50", "--out", str(tmp_path / "sweep")]) == 0
    with Image.open(tmp_path / "sweep" / "sweep.png") as image:
        assert image.size == (700, 250)  # 14 x 5 inches at 50 dpi
    assert main(["lr-find", "--fast", "--no-progress", "--title", "Where to start",
                 "--figsize", "6,4", "--out", str(tmp_path / "lr")]) == 0
    with Image.open(tmp_path / "lr" / "lr_find.png") as image:
        assert image.size == (600, 400)


def test_train_label_title_and_spikes(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["train", "--epochs", "3", "--hidden", "8", "--no-progress", "--label",
                 "my run", "--title", "One epoch", "--spikes", "0.02", "--out",
                 str(out)]) == 0
    history = json.loads((out / "history.json").read_text())
    assert history["spikes"] and f"{len(history['spikes'])} loss spike" in \
        capsys.readouterr().out


def test_warmup_is_linear_then_constant():
    optimizer = optim.SGD([nn.Parameter([0.0])], lr=0.1)
    scheduler = recipes.parse_schedule("warmup").build_scheduler(optimizer, 200)
    rates = [scheduler.lr_at(step)[0] for step in range(40)]
    steps = np.arange(40)  # PyTorch's LinearLR from lr/20 to lr over 20 steps, then flat
    np.testing.assert_allclose(rates, 0.1 * (1 / 20 + 19 / 20 * np.minimum(steps, 20) / 20),
                               rtol=1e-12)
    assert recipes.parse_schedule("warmup").warmup_steps(200) == 20


def test_plateau_halves_the_rate_each_time_the_toy_loss_stalls():
    optimizer = optim.SGD([nn.Parameter([0.0])], lr=0.1)
    scheduler = recipes.parse_schedule("plateau").build_scheduler(optimizer, 1000)
    rates = plateau_rates(scheduler, optimizer, 1000)
    levels = sorted(set(rates), reverse=True)
    assert levels == pytest.approx([0.1, 0.05, 0.025, 0.0125, 0.00625])
    drops = [step for step in range(1, 1000) if rates[step] < rates[step - 1]]
    assert all(later - earlier > 100 for earlier, later in zip(drops, drops[1:]))  # patience


def test_schedule_panels_warmup_and_plateau_through_the_command_line(tmp_path):
    out = tmp_path / "out"
    assert main(["schedule", "warmup", "plateau", "cosine", "--panels", "--columns", "2",
                 "--labels", "linear warmup", "on plateau", "cosine", "--steps", "200",
                 "--out", str(out)]) == 0
    with open(out / "schedule.csv") as table:
        rows = list(csv.reader(table))
    assert rows[0] == ["step", "linear warmup", "on plateau (fed a toy loss)", "cosine"]
    assert float(rows[1][1]) == pytest.approx(0.1 / 20) and float(rows[-1][1]) == 0.1
    assert len(rows) == 201
    assert float(rows[-1][2]) < 0.1  # the plateau schedule lowered the rate
    with Image.open(out / "schedule.png") as image:
        assert image.size == (1040, 720)  # two columns, two rows of 5.2 x 3.6 inches


def test_the_shared_gif_figure_and_label_options_parse_for_any_command():
    from tinyopt.cli import common
    parser = common.Parser(prog="tinyopt x")
    common.add_gif_arguments(parser)
    common.add_figure_arguments(parser)
    common.add_label_arguments(parser, "optimizers")
    args = parser.parse_args(["--gif-width", "12", "--gif-dpi", "90", "--figsize", "8,3",
                              "--labels", "a", "b", "--title", ""])
    assert (args.gif_width, args.gif_dpi, args.figsize) == (12.0, 90.0, (8.0, 3.0))
    assert common.labels(args, ["sgd", "adam"], "optimizers") == ["a", "b"]
    assert common.title(args, "default") == ""
    defaults = parser.parse_args([])
    assert (defaults.gif_width, defaults.gif_dpi, defaults.dpi) == (8.0, 70, None)
    assert common.labels(defaults, ["sgd"], "optimizers") == ["sgd"]
    with pytest.raises(SystemExit):
        parser.parse_args(["--gif-width", "0"])
