"""No text or legend of any figure tinyopt draws reaches outside the figure (it would be
clipped in the saved file): every plot function, in the layouts lecturers use."""
import numpy as np
import pytest

import tinyopt
from tinyopt import data, landscapes, nn, optim
from tinyopt.optim import LRFinder
from tinyopt.optim.lr_scheduler import CosineAnnealingLR, WarmupCosineLR
from tinyopt.spikes import SpikeDetector
from tinyopt.train import fit
from tinyopt.viz import (artists_outside, plot_comparison, plot_layer_dynamics, plot_lr_finder,
                         plot_schedules, plot_surface, plot_sweep, plot_table,
                         plot_training_curves, plot_trajectories)
from tinyopt.viz.style import new_figure


@pytest.fixture(autouse=True)
def numpy_executor(monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")


def _paths(count=6):
    rosenbrock = landscapes.get("rosenbrock")
    names = ["sgd", "momentum", "adam", "rmsprop", "lion", "adamw"][:count]
    from tinyopt.cli.race import race
    from tinyopt.recipes import parse_recipe
    return rosenbrock, race(rosenbrock, [parse_recipe(n) for n in names], rosenbrock.starts[0], 30)


@pytest.fixture(scope="module")
def history():
    tinyopt.manual_seed(0)
    X, y = data.make_moons(n_samples=128, seed=0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=16, shuffle=True, seed=0)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    optimizer.executor = "numpy"
    return fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=2, val_loader=loader,
               progress=False, max_grad_norm=1.0, callbacks=[SpikeDetector(window=3,
                                                                         relative=0.1)],
               record=["update_ratio", "grad_norm", "weight_norm", "effective_lr"])


def _lr_finder():
    tinyopt.manual_seed(0)
    X, y = data.make_moons(n_samples=256, seed=0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    finder = LRFinder(model, optim.SGD(model.parameters(), lr=1e-4), nn.CrossEntropyLoss())
    finder.range_test(data.DataLoader(data.TensorDataset(X, y), batch_size=32, shuffle=True,
                                      seed=0), start_lr=1e-4, end_lr=10, num_iter=60)
    return finder


def _schedules():
    def scheduler(make):
        optimizer = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
        return make(optimizer)
    return {"cosine": scheduler(lambda o: CosineAnnealingLR(o, 100)),
            "warmup-cosine": scheduler(lambda o: WarmupCosineLR(o, 10, 100))}


SWEEP = [{"value": v, "seed": s, "final_train_loss": 0.3 / v ** 0.1 + s * 0.01,
          "best_train_loss": 0.28, "final_test_accuracy": 0.9, "best_test_accuracy": 0.92}
         for v in (0.01, 0.1) for s in (0, 1)] + [{"value": 10.0, "seed": s, "diverged": "x"}
                                                  for s in (0, 1)]

FIGURES = {
    "trajectories": lambda h: plot_trajectories(*_paths()),
    "trajectories overlay": lambda h: plot_trajectories(*_paths(), overlay=True),
    "trajectories one column": lambda h: plot_trajectories(*_paths(3), columns=1),
    "trajectories, a wide landscape in two columns": lambda h: plot_trajectories(
        landscapes.get("ravine"), {name: landscapes.trajectory(
            landscapes.get("ravine"), lambda p: optim.SGD(p, lr=0.05), (-9.0, 3.0), 20)
            for name in ("sgd", "again")}, columns=2),
    "surface": lambda h: plot_surface(landscapes.get("beale")),
    "schedules": lambda h: plot_schedules(_schedules(), 100, warmup={"warmup-cosine": 10}),
    "schedules log": lambda h: plot_schedules(_schedules(), 100, log_y=True),
    "training curves": lambda h: plot_training_curves({"adam": h, "again": h}, title="moons"),
    "comparison": lambda h: plot_comparison({"adam": h}, title="moons"),
    "comparison with the raw loss and spikes": lambda h: plot_comparison(
        {"adam": h, "again": h}, title="moons", raw_loss=True),
    "comparison without validation data": lambda h: plot_comparison(
        {"adam": {"steps": h.steps, "epochs": {"train_loss": h.epochs["train_loss"]}}}),
    "schedules in panels": lambda h: plot_schedules(_schedules(), 100, panels=True, columns=1,
                                                    warmup={"warmup-cosine": 10}),
    "lr finder": lambda h: plot_lr_finder(_lr_finder()),
    "table": lambda h: plot_table(["recipe", "accuracy"], [["adam", "97.2 %"]], best_row=0),
    "layer dynamics": lambda h: plot_layer_dynamics(h, title="Adam"),
    "layer dynamics, three panels": lambda h: plot_layer_dynamics(
        h, stats=["update_ratio", "grad_norm", "weight_norm"]),
    "sweep": lambda h: plot_sweep(SWEEP, "lr", title="sweep"),
}


@pytest.mark.parametrize("name", FIGURES)
def test_no_text_or_legend_falls_outside_the_figure(name, history):
    assert artists_outside(FIGURES[name](history)) == []


def test_the_check_finds_a_clipped_title_and_legend():
    figure, axis = new_figure()
    axis.plot([0, 1], label="a line")
    axis.legend(loc="upper left", bbox_to_anchor=(1.5, 1.0))
    figure.text(0.5, 1.02, "too high")
    problems = artists_outside(figure)
    assert any(p.startswith("legend of") and "right of the right edge" in p for p in problems)
    assert any(p.startswith("figure text 'too high'") and "above the top" in p for p in problems)
