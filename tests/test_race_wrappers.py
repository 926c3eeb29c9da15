"""``race`` with the wrapping optimizers: SAM, ASAM and Lookahead take paths of their own
(not their base SGD's) that stay finite from every lecture start, and the CLI draws them."""
import json

import numpy as np
import pytest

from tinyopt import landscapes
from tinyopt.cli import main
from tinyopt.cli.race import race
from tinyopt.recipes import parse_recipe

WRAPPERS = ("sam", "sam:adaptive=True", "lookahead")


@pytest.fixture(autouse=True)
def numpy_executor(monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")


@pytest.mark.parametrize("name", landscapes.names())
def test_wrappers_leave_their_base_optimizers_path_and_stay_finite(name):
    landscape = landscapes.get(name)
    size = max(high - low for low, high in landscape.window)
    for start in landscape.starts:
        paths = race(landscape, [parse_recipe(r) for r in ("sgd",) + WRAPPERS], start, 150)
        base, *wrapped = paths.values()
        for label, path in zip(WRAPPERS, wrapped):
            assert np.isfinite(path).all(), (label, start)
            assert np.isfinite(landscape.value_and_grad(path[-1])[0]), (label, start)
            assert np.abs(path - base).max() > 1e-3 * size, (label, start)  # visibly its own


def test_race_cli_draws_sam_and_lookahead(tmp_path):
    assert main(["race", "--fast", "--no-gif", "--landscape", "ravine", "--optimizers", "sgd",
                 "sam", "lookahead", "--out", str(tmp_path)]) == 0
    saved = json.loads((tmp_path / "paths.json").read_text())
    assert list(saved["paths"]) == ["sgd lr=0.09", "sam lr=0.09", "lookahead lr=0.09"]
    assert saved["diverged"] == []
    sgd, sam, lookahead = (np.array(path) for path in saved["paths"].values())
    assert not np.allclose(sgd, sam) and not np.allclose(sgd, lookahead)
