"""Every deck figure script in lectures/figures runs in its fast mode and draws a figure
whose texts and legends all fit."""
import importlib.util
from pathlib import Path

import pytest

from tinyopt.viz import artists_outside

FIGURES = Path(__file__).resolve().parent.parent / "lectures" / "figures"
spec = importlib.util.spec_from_file_location("render", FIGURES / "render.py")
render = importlib.util.module_from_spec(spec)
spec.loader.exec_module(render)


@pytest.fixture(autouse=True)
def numpy_executor(monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")


def test_there_are_figure_scripts_of_at_most_40_lines():
    assert len(render.scripts()) >= 3
    for path in render.scripts():
        assert len(path.read_text().splitlines()) <= 40, path.name


@pytest.mark.parametrize("path", render.scripts(), ids=lambda path: path.stem)
def test_each_script_draws_a_figure_that_fits(path):
    pytest.importorskip("sklearn")  # the digits
    figure = render.load(path).make(fast=True)
    assert figure.axes and artists_outside(figure) == []


def test_render_writes_every_figure(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    render.main(["--fast", "--out", str(tmp_path), "--format", "png"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{path.stem}.png" for path in render.scripts())
