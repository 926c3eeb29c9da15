"""Issue 12, items 1, 2 and 6: copies that train, hyper-parameters that stay numbers, non-finite
gradients that are caught.

1. ``copy.deepcopy`` or pickling a (model, optimizer) pair gives a copy that
   trains exactly like the original (flat buffers were shared with the
   original's arrays, so the copy's weights never moved).
2. A hyper-parameter set to None (or a string) between steps raises a
   ``TypeError`` naming the group and key, on every executor, instead of
   becoming NaN in a compiled kernel.
6. ``optimizer.nonfinite = "raise" | "skip"`` catches an inf/NaN gradient
   before anything changes.
"""
import copy
import pickle

import numpy as np
import pytest

import tinyopt
from tinyopt import nn, optim

ZOO = {
    "sgd": (optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    "adagrad": (optim.Adagrad, {"lr": 0.1}),
    "rmsprop": (optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    "adadelta": (optim.Adadelta, {}),
    "adam": (optim.Adam, {"lr": 0.01, "amsgrad": True}),
    "adamw": (optim.AdamW, {"lr": 0.01}),
    "adamax": (optim.Adamax, {}),
    "nadam": (optim.NAdam, {}),
    "radam": (optim.RAdam, {}),
    "rprop": (optim.Rprop, {}),
    "asgd": (optim.ASGD, {}),
    "lamb": (optim.LAMB, {"lr": 0.01}),
    "lars": (optim.LARS, {"lr": 0.01}),
    "adafactor": (optim.Adafactor, {"lr": 0.01, "relative_step": False}),
    "lion": (optim.Lion, {"lr": 0.001}),
    "adam8bit": (optim.Adam8bit, {"lr": 0.01, "min_8bit_size": 16}),
    "adamw8bit": (optim.AdamW8bit, {"lr": 0.01, "min_8bit_size": 16}),
    "lion8bit": (optim.Lion8bit, {"lr": 0.001, "min_8bit_size": 16}),
}


def model_and_optimizer(name, executor):
    tinyopt.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3)).double()
    cls, options = ZOO[name]
    optimizer = cls(model.parameters(), **options)
    optimizer.executor = executor
    return model, optimizer


def train(model, optimizer, steps, seed):
    rng = np.random.default_rng(seed)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        x = tinyopt.from_numpy(rng.standard_normal((8, 4)))
        y = tinyopt.from_numpy(rng.integers(0, 3, 8))
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
@pytest.mark.parametrize("executor", ["numba", "numpy"])
@pytest.mark.parametrize("name", ZOO)
def test_a_copied_model_and_optimizer_train_exactly_like_the_original(name, executor, how):
    model, optimizer = model_and_optimizer(name, executor)
    train(model, optimizer, 3, seed=1)  # flat buffers exist now
    pair = (model, optimizer)
    copied_model, copied_optimizer = (copy.deepcopy(pair) if how == "deepcopy"
                                      else pickle.loads(pickle.dumps(pair)))
    before = [p.detach().numpy().copy() for p in copied_model.parameters()]
    train(model, optimizer, 3, seed=2)
    train(copied_model, copied_optimizer, 3, seed=2)
    for original, copied, old in zip(model.parameters(), copied_model.parameters(), before):
        np.testing.assert_array_equal(copied.detach().numpy(), original.detach().numpy())
        assert not np.array_equal(copied.detach().numpy(), old)  # the copy did move
        assert not np.shares_memory(copied.array, original.array)


@pytest.mark.parametrize("executor", ["numba", "numpy"])
@pytest.mark.parametrize("key, value", [("lr", None), ("lr", "0.1"), ("momentum", None),
                                        ("dampening", None), ("weight_decay", True)])
def test_a_hyper_parameter_that_is_no_number_raises_before_any_update(executor, key, value):
    model, optimizer = model_and_optimizer("sgd", executor)
    optimizer.param_groups[0][key] = value
    weights = [p.detach().numpy().copy() for p in model.parameters()]
    with pytest.raises(TypeError, match=f"param group 0: '{key}' must be a real number, got "
                                        f"{value!r}"):
        train(model, optimizer, 1, seed=0)
    for p, w in zip(model.parameters(), weights):
        np.testing.assert_array_equal(p.detach().numpy(), w)


def test_a_betas_tuple_with_none_raises():
    model, optimizer = model_and_optimizer("adam", "numba")
    optimizer.param_groups[0]["betas"] = (0.9, None)
    with pytest.raises(TypeError, match=r"'betas' must be a tuple of real numbers, got "
                                        r"\(0.9, None\)"):
        train(model, optimizer, 1, seed=0)


def test_a_zero_dimensional_tensor_lr_is_a_number():
    model, optimizer = model_and_optimizer("sgd", "numpy")
    optimizer.param_groups[0]["lr"] = tinyopt.tensor(0.1, dtype=tinyopt.float64).array
    train(model, optimizer, 1, seed=0)


@pytest.mark.parametrize("executor", ["numba", "numpy"])
def test_nonfinite_raise_names_the_parameter_and_step_and_changes_nothing(executor):
    model, optimizer = model_and_optimizer("adam", executor)
    optimizer.nonfinite = "raise"
    train(model, optimizer, 2, seed=0)
    state = copy.deepcopy(optimizer.state_dict())
    weights = [p.detach().numpy().copy() for p in model.parameters()]
    params = list(model.parameters())
    params[2].grad.array[0, 1] = np.inf
    with pytest.raises(FloatingPointError, match="step 3: the gradient of parameter 2 of param "
                                                 "group 0 holds inf or NaN"):
        optimizer.step()
    for p, w in zip(params, weights):
        np.testing.assert_array_equal(p.detach().numpy(), w)
    after = optimizer.state_dict()
    for index, entry in state["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(after["state"][index][key], value)


def test_nonfinite_skip_skips_the_step_and_counts_it():
    model, optimizer = model_and_optimizer("sgd", "numba")
    optimizer.nonfinite = "skip"
    train(model, optimizer, 1, seed=0)
    weights = [p.detach().numpy().copy() for p in model.parameters()]
    next(iter(model.parameters())).grad.array[0, 0] = np.nan
    optimizer.step()
    assert optimizer.skipped_steps == 1
    for p, w in zip(model.parameters(), weights):
        np.testing.assert_array_equal(p.detach().numpy(), w)


def test_nonfinite_default_is_pytorchs_ignore_and_bad_modes_are_refused():
    model, optimizer = model_and_optimizer("sgd", "numba")
    assert optimizer.nonfinite == "ignore"
    with pytest.raises(ValueError, match=r"nonfinite must be one of \('ignore', 'raise', "
                                         r"'skip'\), got 'warn'"):
        optimizer.nonfinite = "warn"
