"""A recipe may name an optimizer class of the user's own: ``MODULE:CLASS[:settings]``, imported
from a module the user names; anything else than an ``Optimizer`` subclass is refused clearly."""
import json
import sys

import pytest

from tinyopt.cli import common, custom_optimizer, main

SIGN_SGD = '''
import numpy
from tinyopt.optim import Optimizer


class SignSGD(Optimizer):
    """Steps of exactly lr per coordinate against the gradient's sign (written the PyTorch way)."""

    def __init__(self, params, lr=0.01):
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    param.array[...] -= group["lr"] * numpy.sign(param.grad.array)


class NotAnOptimizer:
    def __init__(self, params, lr=0.1):
        pass
'''


@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    """A folder holding ``my_optimizers.py``, made the current folder (as a user runs it)."""
    (tmp_path / "my_optimizers.py").write_text(SIGN_SGD)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield tmp_path
    sys.modules.pop("my_optimizers", None)


def test_a_class_of_your_own_is_parsed_with_settings_and_a_schedule(module_dir):
    recipe = common.recipe("my_optimizers:SignSGD:lr=0.02+cosine")
    assert recipe.optimizer == "my_optimizers:SignSGD" and recipe.settings == {"lr": 0.02}
    assert recipe.schedule == "cosine"
    assert recipe.describe(total_steps=10) == "SignSGD(lr=0.02) + cosine(T_max=10)"
    from tinyopt import nn
    optimizer, scheduler = recipe.build([nn.Parameter([1.0])], total_steps=10)
    assert type(optimizer).__name__ == "SignSGD" and scheduler.T_max == 10
    by_path = common.recipe(f"{module_dir / 'my_optimizers.py'}:SignSGD")
    assert by_path.optimizer_class.__name__ == "SignSGD"


def test_the_zoo_keeps_its_names():
    assert not custom_optimizer.names_a_class("adam:lr=0.1")
    assert not custom_optimizer.names_a_class("momentum:lr=0.1+cosine")
    assert custom_optimizer.names_a_class("pkg.mod:Cls:lr=0.1")


def test_compare_trains_your_class_next_to_the_zoo(module_dir, capsys):
    out = module_dir / "out"
    assert main(["compare", "--fast", "--no-progress", "--out", str(out), "--recipes", "sgd",
                 "my_optimizers:SignSGD:lr=0.003"]) == 0
    results = json.loads((out / "results.json").read_text())["results"]
    sign = results[1]
    assert sign["recipe"] == "my_optimizers:SignSGD:lr=0.003"
    assert sign["settings"] == "SignSGD(lr=0.003)" and "diverged" not in sign
    history = json.loads((out / "results.json").read_text())["histories"][sign["recipe"]]
    assert history["steps"]["loss"][-1] < history["steps"]["loss"][0]
    assert "`my_optimizers:SignSGD:lr=0.003`: SignSGD(lr=0.003)" in (out / "report.md").read_text()


@pytest.mark.parametrize("text, message", [
    ("my_optimizers:NotAnOptimizer", "my_optimizers:NotAnOptimizer is not a subclass of "
                                     "tinyopt.optim.Optimizer"),
    ("my_optimizers:Missing", "module 'my_optimizers' has no 'Missing'"),
    ("no_such_module_here:Opt", "cannot import 'no_such_module_here'"),
    ("nowhere/opt.py:Opt", "no file 'nowhere/opt.py'"),
    ("my_optimizers:SignSGD:momentum=0.9", "(settings: lr)"),
])
def test_a_bad_class_is_a_usage_error_naming_the_argument(module_dir, text, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "--recipes", text, "--out", str(module_dir / "out")])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "argument --recipes" in error and message in error
    assert len(error.strip().splitlines()) == 1


def test_train_refuses_a_class_of_your_own_and_says_where_it_works(module_dir, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--optimizer", "my_optimizers:SignSGD", "--out", str(module_dir / "o")])
    assert exit_info.value.code == 2
    assert "argument --optimizer: train takes the zoo's optimizers" in capsys.readouterr().err


def test_sweep_and_lr_find_take_your_class(module_dir):
    assert main(["sweep", "--param", "lr", "--values", "0.001,0.01", "--optimizer",
                 "my_optimizers:SignSGD", "--fast", "--no-progress", "--out",
                 str(module_dir / "sweep")]) == 0
    results = json.loads((module_dir / "sweep" / "results.json").read_text())["results"]
    assert [row["recipe"] for row in results] == ["SignSGD(lr=0.001)", "SignSGD(lr=0.01)"]


def test_race_takes_your_class_through_the_shared_recipe_type(module_dir, capsys):
    out = module_dir / "race"
    assert main(["race", "--landscape", "booth", "--optimizers", "sgd",
                 "my_optimizers:SignSGD:lr=0.05", "--fast", "--no-gif", "--no-progress",
                 "--out", str(out)]) == 0
    paths = json.loads((out / "paths.json").read_text())["paths"]
    assert list(paths) == ["sgd lr=0.02", "my_optimizers:SignSGD:lr=0.05"]
    assert paths["my_optimizers:SignSGD:lr=0.05"][1] == [-4.95, -4.95]  # a sign step of lr
