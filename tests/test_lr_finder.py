"""The LR range test on the digits MLP: a suggestion that trains, and no trace left behind."""
import io

import numpy as np
import pytest

import tinyopt
from tinyopt import backend, data, nn, optim
from tinyopt.optim import LRFinder
from tinyopt.train import evaluate, fit

pytest.importorskip("sklearn")


def _digits():
    X_train, y_train, X_test, y_test = data.load_digits(seed=0)
    mean, std = X_train.array.mean(axis=0), X_train.array.std(axis=0) + 0.1
    return (tinyopt.Tensor((X_train.array - mean) / std), y_train,
            tinyopt.Tensor((X_test.array - mean) / std), y_test)


def _mlp():
    tinyopt.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


@pytest.fixture(scope="module")
def digits():
    return _digits()


def test_suggestion_trains_and_the_test_leaves_no_trace(digits):
    X_train, y_train, X_test, y_test = digits
    loader = data.DataLoader(data.TensorDataset(X_train, y_train), batch_size=64, shuffle=True,
                             seed=0)
    model = _mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=1, progress=False)  # some state
    for p in model.parameters():
        p.grad = np.full_like(p.array, 0.5)
    weights, state = model.state_dict(), optimizer.state_dict()
    grads = [p.grad.array.copy() for p in model.parameters()]
    rng_state = backend.rng().bit_generator.state

    finder = LRFinder(model, optimizer, nn.CrossEntropyLoss())
    history = finder.range_test(loader, start_lr=1e-5, end_lr=10.0, num_iter=100)
    assert len(history["lr"]) < 100                     # stopped early once the loss diverged
    assert history["lr"][1] / history["lr"][0] == pytest.approx((10.0 / 1e-5) ** (1 / 99))

    for key, value in model.state_dict().items():
        assert np.array_equal(value, weights[key]), key
    restored = optimizer.state_dict()
    assert restored["param_groups"] == state["param_groups"]
    for index, entry in state["state"].items():
        for name, value in entry.items():
            assert np.array_equal(restored["state"][index][name], value)
    assert all(np.array_equal(p.grad, g) for p, g in zip(model.parameters(), grads))
    assert backend.rng().bit_generator.state == rng_state

    lr = finder.suggestion()
    assert 1e-3 <= lr <= 1.0
    fresh = _mlp()
    fit(fresh, nn.CrossEntropyLoss(), optim.SGD(fresh.parameters(), lr=lr, momentum=0.9),
        loader, epochs=3, progress=False)
    test_loader = data.DataLoader(data.TensorDataset(X_test, y_test), batch_size=256)
    assert evaluate(fresh, nn.CrossEntropyLoss(), test_loader)["accuracy"] >= 0.9

    figure = finder.plot()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")   # renders without pyplot (Agg)
    assert buffer.getvalue()[:4] == b"\x89PNG"
    assert any("suggestion" in text.get_text() for text in figure.axes[0].get_legend().texts)


def test_linear_sweep_cycles_a_short_loader_and_args_are_checked(digits):
    X_train, y_train, _, _ = digits
    loader = data.DataLoader(data.TensorDataset(X_train[:128], y_train[:128]), batch_size=64)
    model = _mlp()
    finder = LRFinder(model, optim.SGD(model.parameters(), lr=0.01), nn.CrossEntropyLoss())
    history = finder.range_test(loader, start_lr=0.001, end_lr=0.01, num_iter=5,
                                step_mode="linear")
    assert history["lr"] == pytest.approx([0.001, 0.00325, 0.0055, 0.00775, 0.01])
    with pytest.raises(RuntimeError, match="kept 0 points"):
        finder.suggestion()
    with pytest.raises(ValueError, match="step_mode"):
        finder.range_test(loader, step_mode="log")
    with pytest.raises(ValueError, match="start_lr < end_lr"):
        finder.range_test(loader, start_lr=1.0, end_lr=0.1)
    with pytest.raises(RuntimeError, match="range_test"):
        LRFinder(model, optim.SGD(model.parameters()), nn.CrossEntropyLoss()).plot()
