"""Recipes: ``OPTIMIZER[:settings][+SCHEDULE[:settings]]`` parsed, checked and built."""
import pytest

from tinyopt import nn, optim, recipes
from tinyopt.optim import lr_scheduler


def _params():
    return [nn.Parameter([1.0, 2.0])]


def test_a_full_recipe_builds_its_optimizer_and_schedule():
    recipe = recipes.parse_recipe("adamw:lr=3e-3,betas=(0.9,0.95)+warmup-cosine:warmup_steps=5")
    optimizer, scheduler = recipe.build(_params(), total_steps=100)
    assert isinstance(optimizer, optim.AdamW) and isinstance(scheduler,
                                                             lr_scheduler.WarmupCosineLR)
    assert optimizer.defaults["betas"] == (0.9, 0.95) and optimizer.defaults["lr"] == 3e-3
    assert (scheduler.warmup_steps, scheduler.total_steps) == (5, 100)
    assert recipe.warmup_steps(100) == 5
    assert recipe.describe() == "AdamW(lr=0.003, betas=(0.9, 0.95)) + warmup-cosine(warmup_steps=5)"


def test_named_recipes_and_aliases():
    recipe = recipes.parse_recipe("sgd-momentum-cosine")
    optimizer, scheduler = recipe.build(_params(), total_steps=50)
    assert recipe.text == "sgd-momentum-cosine" and recipe.optimizer == "momentum"
    assert optimizer.defaults["momentum"] == 0.9 and optimizer.defaults["lr"] == 0.05
    assert isinstance(scheduler, lr_scheduler.CosineAnnealingLR) and scheduler.T_max == 50
    nesterov, _ = recipes.parse_recipe("nesterov").build(_params(), 10)
    assert nesterov.defaults["nesterov"] is True


@pytest.mark.parametrize("name", recipes.SCHEDULES)
def test_every_named_schedule_builds_for_short_and_long_runs(name):
    for total_steps in (10, 1000):
        optimizer = optim.SGD(_params(), lr=0.1)
        scheduler = recipes.parse_schedule(name).build_scheduler(optimizer, total_steps)
        assert (scheduler is None) == (name == "constant")


@pytest.mark.parametrize("name, warmup", [("cosine", 0), ("warmup-cosine", 100), ("wsd", 100),
                                          ("inverse-sqrt", 100), ("onecycle", 300)])
def test_warmup_steps_are_a_tenth_of_the_run_or_one_cycles_rising_part(name, warmup):
    assert recipes.parse_schedule(name).warmup_steps(1000) == warmup


@pytest.mark.parametrize("text, message", [
    ("adamm", "unknown optimizer 'adamm' (choose from adadelta, adafactor, adagrad"),
    ("adam+cosin", "unknown schedule 'cosin' (choose from constant, cosine"),
    ("adam:lr", "bad adam setting 'lr': write key=value"),
    ("adam:lr=-1", "lr"),
    ("adam:momentum=0.9", "(settings: lr, betas, eps, weight_decay"),
    ("adam+constant:x=1", "the constant schedule takes no settings"),
    ("adam+cosine:T_max=0", "T_max"),
    ("adafactor+cosine", "adafactor sizes its own steps (lr=None)"),
])
def test_bad_recipes_say_what_is_valid(text, message):
    with pytest.raises(ValueError) as error:
        recipes.parse_recipe(text)
    assert message in str(error.value)


def test_optimizer_names_are_the_zoo_plus_aliases():
    names = recipes.optimizer_names()
    assert names[-2:] == ["momentum", "nesterov"] and "lion8bit" in names
    for name in names:
        recipes.parse_recipe(name).build(_params(), total_steps=10)


@pytest.mark.parametrize("name, lr", [("sgd", 0.1), ("lars", 0.1), ("adam", 1e-3),
                                      ("lion", 1e-3 / 3), ("radam", 1e-3), ("adadelta", None),
                                      ("adafactor", None)])
def test_default_rates_follow_how_each_family_sizes_its_steps(name, lr):
    assert recipes.default_lr(name, lr_sgd=0.1, lr_adaptive=1e-3) == lr
    recipe = recipes.parse_recipe(name)
    assert recipe.with_default_lr(lr).settings.get("lr") == lr
    given = "lr=0.5,relative_step=False" if name == "adafactor" else "lr=0.5"
    assert recipes.parse_recipe(f"{name}:{given}").with_default_lr(lr).settings["lr"] == 0.5
