"""``tinyopt lr-find --fast``: the range test's plot, its CSV, and the suggestion it prints."""
import csv
import re

import pytest
from PIL import Image

from tinyopt.cli import lr_find, main


@pytest.fixture(autouse=True)
def numpy_executor(monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")


def test_fast_range_test_writes_plot_and_csv_and_prints_a_rate_inside_the_sweep(tmp_path,
                                                                                capsys):
    assert main(["lr-find", "--fast", "--optimizer", "adam", "--out", str(tmp_path)]) == 0
    with open(tmp_path / "lr_find.csv", newline="") as table:
        rows = list(csv.DictReader(table))
    assert 20 <= len(rows) <= lr_find.FAST_ITERATIONS
    rates = [float(row["lr"]) for row in rows]
    assert rates[0] == pytest.approx(1e-5) and rates == sorted(rates)
    assert float(rows[0]["smoothed_loss"]) == float(rows[0]["loss"])
    with Image.open(tmp_path / "lr_find.png") as png:
        assert png.size == (850, 520)
    suggestion = float(re.search(r"suggested learning rate for adam: (\S+)",
                                 capsys.readouterr().out).group(1))
    assert rates[lr_find.SKIP_START] <= suggestion <= rates[-lr_find.SKIP_END]


def test_a_sweep_that_runs_away_at_once_gives_no_suggestion(tmp_path, capsys):
    assert main(["lr-find", "--fast", "--start-lr", "1e4", "--end-lr", "1e9",
                 "--out", str(tmp_path)]) == 1
    assert "the loss ran away after" in capsys.readouterr().err
