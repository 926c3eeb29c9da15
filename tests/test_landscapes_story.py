"""The default races tell the lessons their landscapes' notes claim: on the ravine SGD
zig-zags and momentum rolls down smoothly, Nesterov stays finite; on Rosenbrock Adam and
RMSprop (and Lion, at its own rate) follow the valley to the minimum; every default race on every landscape is finite."""
import numpy as np
import pytest

from tinyopt import landscapes
from tinyopt.cli import race
from tinyopt.recipes import parse_recipe

STEPS = 300
"""The steps of a default ``tinyopt race``."""


@pytest.fixture(autouse=True)
def numpy_executor(monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")


def _default_race(name, extra=("nesterov",)):
    landscape = landscapes.get(name)
    chosen = [parse_recipe(n) for n in (*race.DEFAULT_OPTIMIZERS, *extra)]
    paths = race.race(landscape, chosen, landscape.starts[0], STEPS)
    return landscape, {label.split(" ")[0]: path for label, path in paths.items()}


def _sign_flips(path):
    """The fraction of steps whose move across the steep (y) axis reverses the previous one."""
    dy = np.diff(path[:, 1])
    return float(np.mean(np.sign(dy[1:]) != np.sign(dy[:-1])))


def _length(path):
    return float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())


def test_on_the_ravine_sgd_zig_zags_and_momentum_rolls_down_smoothly():
    ravine, paths = _default_race("ravine")
    assert _sign_flips(paths["sgd"]) > 0.95  # every step crosses the ravine
    assert _sign_flips(paths["momentum"]) < 0.15
    assert _length(paths["momentum"]) < 0.6 * _length(paths["sgd"])
    for name in ("sgd", "momentum", "nesterov"):
        assert ravine.value_and_grad(paths[name][-1])[0] < 1e-6, name


def test_on_rosenbrock_adam_rmsprop_and_lion_follow_the_valley_to_the_minimum():
    rosenbrock, paths = _default_race("rosenbrock")
    assert rosenbrock.default_lr(parse_recipe("lion")) == rosenbrock.lr_sign
    for name in ("adam", "rmsprop", "lion"):
        values = [rosenbrock.value_and_grad(point)[0] for point in paths[name][-50:]]
        assert max(values) < 0.1 and values[-1] < 0.05, name
    assert rosenbrock.value_and_grad(paths["sgd"][-1])[0] > 0.1  # slow to follow


@pytest.mark.parametrize("name", landscapes.names())
def test_every_default_race_is_finite(name):
    landscape, paths = _default_race(name)
    for label, path in paths.items():
        assert np.isfinite(path).all() and np.isfinite(landscape.value_and_grad(path[-1])[0]), \
            label


def test_momentum_gets_the_landscapes_momentum_rate_and_plain_sgd_does_not():
    ravine = landscapes.get("ravine")
    assert ravine.default_lr(parse_recipe("momentum")) == ravine.lr_momentum == 0.004
    assert ravine.default_lr(parse_recipe("sgd:momentum=0.5")) == 0.004
    assert ravine.default_lr(parse_recipe("sgd")) == ravine.lr_sgd
    assert ravine.default_lr(parse_recipe("adam")) == ravine.lr_adaptive
    booth = landscapes.get("booth")
    assert booth.lr_momentum is None and booth.default_lr(parse_recipe("momentum")) == 0.02
