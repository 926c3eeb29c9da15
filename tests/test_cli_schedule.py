"""``tinyopt schedule``: the plot and the CSV hold the schedules' closed forms."""
import csv

import pytest
from PIL import Image

from tinyopt.cli import main
from tinyopt.optim.lr_scheduler import closed_forms as cf


def _columns(path):
    with open(path, newline="") as table:
        rows = list(csv.reader(table))
    return rows[0], [[float(value) for value in column] for column in zip(*rows[1:])]


def test_default_schedules_write_a_plot_and_a_csv(tmp_path, capsys):
    assert main(["schedule", "--steps", "200", "--out", str(tmp_path)]) == 0
    header, columns = _columns(tmp_path / "schedule.csv")
    assert header == ["step", "cosine", "warmup-cosine", "onecycle", "wsd"]
    assert columns[0] == list(range(200))
    assert columns[1] == pytest.approx([cf.cosine_annealing_lr(t, 0.1, 200) for t in range(200)])
    assert columns[2] == pytest.approx([cf.warmup_cosine_lr(t, 0.1, 20, 200)
                                        for t in range(200)])
    assert max(columns[3]) == pytest.approx(0.1, rel=1e-3)  # one-cycle peaks at --lr
    with Image.open(tmp_path / "schedule.png") as png:
        assert png.size == (900, 500)  # 9 x 5 inches
    assert capsys.readouterr().out.strip() == f"wrote schedule.png, schedule.csv to {tmp_path}/"


def test_settings_peak_rate_log_axis_and_vector_formats(tmp_path):
    assert main(["schedule", "step:gamma=0.5", "exponential", "--steps", "90", "--lr", "0.3",
                 "--log", "--format", "svg", "--out", str(tmp_path)]) == 0
    header, columns = _columns(tmp_path / "schedule.csv")
    assert header == ["step", "step:gamma=0.5", "exponential"]
    assert columns[1][0] == pytest.approx(0.3) and columns[1][-1] == pytest.approx(0.075)
    assert columns[2][-1] == pytest.approx(0.3 * 0.01 ** (89 / 90))
    assert (tmp_path / "schedule.svg").exists() and not (tmp_path / "schedule.png").exists()


def test_a_schedule_given_twice_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["schedule", "cosine", "cosine", "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert "schedule 'cosine' is given twice" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # refused before anything was written
