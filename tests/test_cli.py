"""The ``tinyopt`` command as a whole: entry points, help, one-line errors, the bench wiring.

Each subcommand's own outputs are tested in ``test_cli_<subcommand>.py``.
"""
import importlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tinyopt import cli
from tinyopt.cli import common
from tinyopt.viz import style

ROOT = Path(__file__).resolve().parents[1]
SUBCOMMANDS = ["compare", "race", "schedule", "train", "lr-find", "sweep", "bench", "exercises",
               "check"]


def test_the_pyproject_entry_point_resolves_to_main():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, function = scripts["tinyopt"].partition(":")
    assert getattr(importlib.import_module(module), function) is cli.main


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "tinyopt", "--help"], capture_output=True,
                            text=True, check=False, cwd=ROOT)
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert re.search(rf"^\s+{name}\s", result.stdout, re.MULTILINE), name


@pytest.mark.parametrize("argv", [[name, "--help"] for name in SUBCOMMANDS]
                         + [["bench", "train", "--help"], ["bench", "step", "--help"]])
def test_every_subcommand_has_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: tinyopt {' '.join(argv[:-1])}")


@pytest.mark.parametrize("argv, message", [
    ([], "the following arguments are required: COMMAND"),
    (["frobnicate"], "invalid choice: 'frobnicate' (choose from *compare*, *race*, *schedule"),
    (["compare", "--recipes", "adamm"], "unknown optimizer 'adamm' (choose from adadelta"),
    (["compare", "--recipes", "adam+cosin"], "unknown schedule 'cosin' (choose from constant"),
    (["compare", "--recipes", "adam:lr=-1"], "lr must be"),
    (["compare", "--recipes", "adam:momentum=0.9"], "(settings: lr, betas, eps"),
    (["compare", "--dataset", "imagenet"], "invalid choice: 'imagenet' (choose from *moons*"),
    (["compare", "--epochs", "0"], "must be a positive int, got 0"),
    (["compare", "--target-loss", "nan"], "must be > 0, got nan"),
    (["race", "--landscape", "everest"], "invalid choice: 'everest' (choose from *rosenbrock*"),
    (["race", "--start", "1"], "must be two numbers 'x,y'"),
    (["race", "--start", "inf,0"], "must be finite"),
    (["race", "--frames", "1"], "must be at least 2"),
    (["race", "--optimizers", "adafactor+cosine"], "sizes its own steps (lr=None)"),
    (["race", "--format", "gif"], "invalid choice: 'gif' (choose from *png*, *svg*, *pdf*)"),
    (["schedule", "cosin"], "unknown schedule 'cosin' (choose from constant"),
    (["schedule", "cosine:T_max=-5"], "T_max must be a positive int"),
    (["train", "--dataset", "nope"], "invalid choice: 'nope' (choose from *moons*"),
    (["train", "--epochs", "0"], "must be a positive int"),
    (["train", "--lr", "-1"], "must be > 0"),
    (["train", "--optimizer", "sgdd"], "unknown optimizer 'sgdd'"),
    (["lr-find", "--iterations", "5"], "must be at least 20, got 5"),
    (["bench"], "the following arguments are required: SUITE"),
    (["bench", "step", "--optimizer", "nope"], "invalid choice: 'nope' (choose from *adadelta*"),
    (["compare", "--recipes", "adam", "adam"], "recipe 'adam' is given twice"),
    (["lr-find", "--start-lr", "1", "--end-lr", "0.1"], "must be below --end-lr"),
])
def test_usage_errors_exit_2_with_one_line_listing_the_choices(argv, message, capsys):
    """``*`` in ``message`` stands for an optional quote (argparse quotes choices or not,
    depending on the Python version)."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "error:" in error, error
    assert re.search(re.escape(message).replace(r"\*", "'?"), error), error


@pytest.mark.parametrize("argv, message", [
    (["race", "--start", "9,9"], "outside the rosenbrock window x in [-2, 2], y in [-1, 3]"),
    (["train", "--lr", "0.1", "--optimizer", "adam:lr=0.01"], "give the rate once"),
    (["lr-find", "--optimizer", "adam+cosine"], "without a +SCHEDULE"),
])
def test_impossible_combinations_exit_1_with_one_line(argv, message, tmp_path, capsys):
    assert cli.main(argv + ["--out", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith(f"tinyopt {argv[0]}: error:")
    assert message in error


def test_the_command_line_offers_exactly_the_formats_viz_writes():
    assert common.FORMATS == style.FORMATS


def test_bench_train_reports_a_ratio_as_json(capsys):
    code = cli.main(["bench", "train", "--samples", "256", "--epochs", "1", "--hidden", "32",
                     "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["tinyopt_ms_per_epoch"] > 0
    if "torch_ms_per_epoch" in result:
        assert result["ratio_tinyopt_over_torch"] == pytest.approx(
            result["tinyopt_ms_per_epoch"] / result["torch_ms_per_epoch"])


def test_bench_step_runs_through_the_command_line(capsys):
    assert cli.main(["bench", "step", "--optimizer", "sgd", "--quick", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["optimizer"] == "sgd" and "numba" in result["rows"]
