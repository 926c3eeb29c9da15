"""A ZeRO checkpoint saved on 4 ranks resumes on 2 ranks and on 1 process, identically.

The state dict is the ordinary single-process layout, so the plain
optimizer loads it too, and a plain optimizer's state dict loads into ZeRO.
Every path must land on the weights of 20 uninterrupted single-process steps.
"""
import pickle

import numpy
import pytest

from distributed_helpers import (CHECKPOINT_BATCH, CHECKPOINT_OPTIMIZERS, STEPS, launch,
                                 mpi_available, train, weights_of)

AVAILABLE, WHY = mpi_available()
HALF = STEPS // 2


def _assert_close(weights, reference):
    for got, want in zip(weights, weights_of(reference)):
        numpy.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def _assert_same_state(state_dict, expected):
    assert state_dict["param_groups"] == expected["param_groups"]
    assert state_dict["state"].keys() == expected["state"].keys()
    for index, entry in expected["state"].items():
        assert state_dict["state"][index].keys() == entry.keys()
        for key, value in entry.items():
            if hasattr(value, "shape"):
                assert state_dict["state"][index][key].shape == value.shape
                numpy.testing.assert_allclose(state_dict["state"][index][key], value,
                                              rtol=1e-12, atol=1e-12)
            else:
                assert state_dict["state"][index][key] == value


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    if not AVAILABLE:
        pytest.skip(WHY)
    folder = tmp_path_factory.mktemp("checkpoint")
    finished = launch(4, "checkpoint", folder / "saved.pkl")
    assert finished.returncode == 0, finished.stderr[-3000:]
    finished = launch(2, "resume", folder / "resumed.pkl", folder / "saved.pkl")
    assert finished.returncode == 0, finished.stderr[-3000:]
    with open(folder / "saved.pkl", "rb") as saved, open(folder / "resumed.pkl", "rb") as resumed:
        return pickle.load(saved), pickle.load(resumed)


@pytest.mark.parametrize("name", CHECKPOINT_OPTIMIZERS)
def test_saved_on_4_ranks_is_the_single_process_state(checkpoint, name):
    saved, _ = checkpoint
    weights, state_dict = saved[name]
    reference, optimizer = train("plain", name, "float64", CHECKPOINT_BATCH, HALF)
    _assert_close(weights, reference)
    _assert_same_state(state_dict, optimizer.state_dict())


@pytest.mark.parametrize("name", CHECKPOINT_OPTIMIZERS)
def test_resumed_on_2_ranks_equals_uninterrupted_training(checkpoint, name):
    _, resumed = checkpoint
    reference, _ = train("plain", name, "float64", CHECKPOINT_BATCH)
    _assert_close(resumed[name], reference)


@pytest.mark.parametrize("mode", ["plain", "zero"])
@pytest.mark.parametrize("name", CHECKPOINT_OPTIMIZERS)
def test_resumed_on_1_process_equals_uninterrupted_training(checkpoint, name, mode):
    saved, _ = checkpoint
    weights, state_dict = saved[name]
    model, _ = train(mode, name, "float64", CHECKPOINT_BATCH, HALF, HALF, state_dict, weights)
    reference, _ = train("plain", name, "float64", CHECKPOINT_BATCH)
    _assert_close(weights_of(model), reference)


@pytest.mark.parametrize("name", CHECKPOINT_OPTIMIZERS)
def test_plain_state_dict_loads_into_zero_and_back(name):
    first, plain = train("plain", name, "float64", CHECKPOINT_BATCH, HALF)
    zero_model, zero = train("zero", name, "float64", CHECKPOINT_BATCH, HALF, HALF,
                             plain.state_dict(), weights_of(first))
    reference, optimizer = train("plain", name, "float64", CHECKPOINT_BATCH)
    _assert_close(weights_of(zero_model), reference)
    _assert_same_state(zero.state_dict(), optimizer.state_dict())
