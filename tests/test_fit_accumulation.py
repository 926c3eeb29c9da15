"""Gradient accumulation in ``fit``: k micro-batches of size b step exactly like one batch
of k·b (float64, 1e-12), for SGD and Adam, including a last, partial, uneven window."""
import copy

import numpy as np
import pytest

import tinyopt
from tinyopt import backend, data, nn, optim
from tinyopt.train import fit


def _run(model, make_optimizer, X, y, batch_size, accumulate_steps, epochs=2):
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=batch_size, shuffle=False)
    history = fit(model, nn.CrossEntropyLoss(), make_optimizer(model), loader, epochs=epochs,
                  progress=False, accumulate_steps=accumulate_steps)
    return [p.array.copy() for p in model.parameters()], history


@pytest.mark.parametrize("make_optimizer", [
    lambda m: optim.SGD(m.parameters(), lr=0.5, momentum=0.9, weight_decay=1e-3),
    lambda m: optim.Adam(m.parameters(), lr=0.01),
], ids=["sgd", "adam"])
@pytest.mark.parametrize("samples", [96, 90], ids=["full-windows", "partial-uneven-window"])
def test_k_micro_batches_equal_one_big_batch(make_optimizer, samples):
    with backend.default_dtype_as("float64"):
        tinyopt.manual_seed(0)
        X, y = data.make_moons(n_samples=samples, noise=0.2, seed=0)
        X = tinyopt.Tensor(X.array.astype("float64"))
        model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
        twin = copy.deepcopy(model)
        accumulated, history = _run(model, make_optimizer, X, y, batch_size=8,
                                    accumulate_steps=4)
        big, big_history = _run(twin, make_optimizer, X, y, batch_size=32, accumulate_steps=1)
    assert len(history.steps["loss"]) == len(big_history.steps["loss"]) == 2 * 3
    np.testing.assert_allclose(history.steps["loss"], big_history.steps["loss"], rtol=1e-12)
    for mine, reference in zip(accumulated, big):
        assert mine.dtype == np.float64
        np.testing.assert_allclose(mine, reference, rtol=0, atol=1e-12)


def test_accumulate_steps_is_checked():
    X, y = data.make_moons(n_samples=16, seed=0)
    model = nn.Linear(2, 2)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=8)
    with pytest.raises(ValueError, match="accumulate_steps must be a positive int"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters()), loader,
            accumulate_steps=0)
