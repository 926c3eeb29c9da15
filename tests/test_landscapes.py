"""Landscapes: formulas, minima, autograd gradients, and every optimizer of the zoo on each.

The optimizers run on the numpy executor (``TINYOPT_EXECUTOR=numpy``): a
two-number parameter is all dispatch, and compiling every rule would cost
more than the runs.
"""
import math

import numpy as np
import pytest

import tinyopt
from tinyopt import landscapes, optim, recipes

STEPS = 100
"""Steps per zoo run: past RAdam's SGD-like start and the first overshoots (the same runs
stay finite for 1,000 steps; 100 keeps the suite quick)."""


@pytest.fixture(autouse=True)
def numpy_executor(monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")


def test_the_lectures_landscapes_are_all_there():
    assert landscapes.names() == ["rosenbrock", "beale", "himmelblau", "booth", "ravine",
                                  "saddle", "monkey_saddle", "rastrigin", "bowl"]


@pytest.mark.parametrize("name, point, value", [
    ("rosenbrock", (0.0, 0.0), 1.0),
    ("beale", (0.0, 0.0), 1.5 ** 2 + 2.25 ** 2 + 2.625 ** 2),
    ("himmelblau", (0.0, 0.0), 121.0 + 49.0),
    ("booth", (0.0, 0.0), 49.0 + 25.0),
    ("ravine", (1.0, 1.0), (1 + landscapes.RAVINE_CONDITION_NUMBER) / 2),
    ("saddle", (1.0, 2.0), 1 - 4 + 2),
    ("monkey_saddle", (1.0, 1.0), 1 - 3 + 2),
    ("rastrigin", (0.5, 0.0), 20 + 0.25 + 10 - 10),
    ("bowl", (1.0, 1.0), math.sin(2) / 3 + 0.2),
])
def test_values_match_the_formulas(name, point, value):
    assert landscapes.get(name).value_and_grad(point)[0] == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("name", landscapes.names())
def test_minima_are_stationary_lowest_points_inside_the_window(name):
    landscape = landscapes.get(name)
    (x_min, x_max), (y_min, y_max) = landscape.window
    for point in landscape.minima:
        value, gradient = landscape.value_and_grad(point)
        assert np.abs(gradient).max() < 1e-3, (point, gradient)
        assert x_min < point[0] < x_max and y_min < point[1] < y_max
        for dx, dy in [(1e-2, 0), (-1e-2, 0), (0, 1e-2), (0, -1e-2)]:
            assert landscape.value_and_grad((point[0] + dx, point[1] + dy))[0] > value
    _, _, Z = landscape.grid(101)
    assert Z.min() >= landscape.min_value() - 1e-9


@pytest.mark.parametrize("name", landscapes.names())
def test_autograd_gradient_matches_central_differences(name):
    landscape = landscapes.get(name)
    h = 1e-6
    for start in landscape.starts:
        _, gradient = landscape.value_and_grad(start)
        for axis in range(2):
            step = np.eye(2)[axis] * h
            up = landscape.value_and_grad(np.add(start, step))[0]
            down = landscape.value_and_grad(np.subtract(start, step))[0]
            assert gradient[axis] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-6)


def test_the_grid_evaluates_the_same_formula_over_the_window():
    bowl = landscapes.get("bowl")
    X, Y, Z = bowl.grid(5)
    assert X.shape == Y.shape == Z.shape == (5, 5)
    assert (X[0, 0], Y[0, 0], X[-1, -1], Y[-1, -1]) == (-3.0, -3.0, 3.0, 3.0)
    assert Z[2, 3] == pytest.approx(bowl.value_and_grad((X[2, 3], Y[2, 3]))[0], rel=1e-12)


def test_unknown_landscape_names_the_valid_ones():
    with pytest.raises(ValueError, match="unknown landscape 'everest'.*rosenbrock.*bowl"):
        landscapes.get("everest")


def test_trajectory_starts_at_the_start_and_records_every_step():
    ravine = landscapes.get("ravine")
    path = landscapes.trajectory(ravine, lambda params: optim.SGD(params, lr=0.05),
                                 start=(-9.0, 3.0), steps=10)
    assert path.shape == (11, 2)
    assert tuple(path[0]) == (-9.0, 3.0)
    # plain gradient descent on a quadratic: x shrinks by (1 - lr) each step
    assert path[10, 0] == pytest.approx(-9.0 * 0.95 ** 10, rel=1e-12)


def test_a_scheduler_changes_the_path():
    booth = landscapes.get("booth")
    def momentum(params):
        return optim.SGD(params, lr=0.01, momentum=0.5)

    constant = landscapes.trajectory(booth, momentum, (-5, -5), 20)
    decayed = landscapes.trajectory(booth, momentum, (-5, -5), 20,
                                    lambda o: optim.lr_scheduler.StepLR(o, 5, gamma=0.1))
    np.testing.assert_array_equal(constant[:6], decayed[:6])
    assert not np.array_equal(constant[7:], decayed[7:])


@pytest.mark.parametrize("steps, start", [(-1, (0, 0)), (2.5, (0, 0)), (3, (0, 0, 0))])
def test_trajectory_rejects_impossible_arguments(steps, start):
    with pytest.raises(ValueError, match="steps|start"):
        landscapes.trajectory(landscapes.get("booth"), lambda p: optim.SGD(p, lr=0.1), start,
                              steps)


def _zoo_path(landscape, name, start, steps=STEPS):
    lr = recipes.default_lr(name, landscape.lr_sgd, landscape.lr_adaptive)
    recipe = recipes.parse_recipe(name).with_default_lr(lr)
    return landscapes.trajectory(landscape, recipe.build_optimizer, start, steps)


def test_the_zoo_is_every_optimizer_tinyopt_exports():
    assert {"sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "adamax", "nadam",
            "radam", "rprop", "asgd", "lamb", "lars", "adafactor", "lion", "adam8bit",
            "adamw8bit", "lion8bit"} <= set(recipes.OPTIMIZERS)


@pytest.mark.parametrize("name", landscapes.names())
def test_every_optimizer_runs_from_every_lecture_start_with_finite_results(name):
    landscape = landscapes.get(name)
    for optimizer in sorted(set(recipes.OPTIMIZERS) - set(recipes.MATRIX_ONLY)):
        for start in landscape.starts:
            path = _zoo_path(landscape, optimizer, start)
            assert np.isfinite(path).all(), (optimizer, start)
            assert np.isfinite(landscape.value_and_grad(path[-1])[0]), (optimizer, start)


@pytest.mark.parametrize("name", landscapes.names())
def test_the_same_seed_gives_identical_trajectories(name):
    landscape = landscapes.get(name)
    for optimizer in sorted(set(recipes.OPTIMIZERS) - set(recipes.MATRIX_ONLY)):
        runs = []
        for _ in range(2):
            tinyopt.manual_seed(7)
            runs.append(_zoo_path(landscape, optimizer, landscape.starts[0], steps=30))
        np.testing.assert_array_equal(runs[0], runs[1], err_msg=optimizer)


def test_a_plateau_scheduler_is_fed_the_value_at_each_new_point():
    """At a minimum f stops improving, so ReduceLROnPlateau (fed f) cuts the rate."""
    bowl = landscapes.get("bowl")
    schedules = []

    def plateau(optimizer):
        schedules.append(optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5,
                                                              patience=2))
        return schedules[0]

    path = landscapes.trajectory(bowl, lambda p: optim.SGD(p, lr=0.4), bowl.starts[0], 60,
                                 scheduler=plateau)
    assert np.isfinite(path).all()
    assert schedules[0].optimizer.param_groups[0]["lr"] < 0.4
