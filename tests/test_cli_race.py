"""``tinyopt race --fast`` in a temporary folder: paths, PNGs, the GIF, and the lecture rates."""
import json

import numpy as np
import pytest
from PIL import Image

from tinyopt import landscapes
from tinyopt.cli import main, race
from tinyopt.recipes import parse_recipe


@pytest.fixture(autouse=True)
def numpy_executor(monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")


def test_fast_race_writes_png_gif_surface_and_paths(tmp_path, capsys):
    assert main(["race", "--fast", "--landscape", "beale", "--out", str(tmp_path)]) == 0
    with Image.open(tmp_path / "race.png") as png:
        assert png.size[0] > 1500 and png.size[1] > 900  # 3 x 2 panels
    with Image.open(tmp_path / "surface.png") as surface:
        assert surface.size == (800, 650)
    with Image.open(tmp_path / "race.gif") as gif:
        assert gif.n_frames == race.FAST["frames"] and gif.size[0] == 8 * 70
    saved = json.loads((tmp_path / "paths.json").read_text())
    assert saved["landscape"] == "beale" and saved["start"] == [1.0, 1.5]
    assert list(saved["paths"]) == ["sgd lr=0.001", "momentum lr=0.001", "adam lr=0.05",
                                    "rmsprop lr=0.05", "lion lr=0.0167"]
    for path in saved["paths"].values():
        assert len(path) == race.FAST["steps"] + 1 and path[0] == [1.0, 1.5]
    out = capsys.readouterr().out
    assert "adam lr=0.05" in out and f"to {tmp_path}/" in out.splitlines()[-1]


def test_own_optimizers_and_start_without_a_gif(tmp_path):
    assert main(["race", "--landscape", "ravine", "--optimizers", "sgd:lr=0.05",
                 "momentum:lr=0.01+cosine", "--start", "5,-2", "--steps", "30", "--no-gif",
                 "--out", str(tmp_path)]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "paths.json", "race.png", "surface.png"]
    paths = json.loads((tmp_path / "paths.json").read_text())["paths"]
    assert list(paths) == ["sgd:lr=0.05", "momentum:lr=0.01+cosine"]
    # plain gradient descent on x^2/2: x shrinks by (1 - lr) per step
    assert paths["sgd:lr=0.05"][30][0] == pytest.approx(5 * 0.95 ** 30)


def test_race_gives_each_family_its_rate_and_the_same_paths_twice():
    """Rosenbrock names a rate for sign methods (lr_sign), so Lion gets 0.01, not 0.2 / 3."""
    rosenbrock = landscapes.get("rosenbrock")
    chosen = [parse_recipe(name) for name in ("sgd", "adam", "lion", "radam", "adadelta")]
    first = race.race(rosenbrock, chosen, rosenbrock.starts[0], 20)
    second = race.race(rosenbrock, chosen, rosenbrock.starts[0], 20)
    assert list(first) == ["sgd lr=0.001", "adam lr=0.2", "lion lr=0.01", "radam lr=0.001",
                           "adadelta"]
    for label in first:
        np.testing.assert_array_equal(first[label], second[label])
