"""Callbacks and the Recorder in ``fit``: hooks fire in order, once per optimizer step (also
with gradient accumulation); the recorded norms equal norms computed by hand (float64)."""
import numpy as np
import pytest

import tinyopt
from tinyopt import backend, data, nn, optim
from tinyopt.callbacks import Callback
from tinyopt.recording import DEFAULT_STATISTICS
from tinyopt.train import fit


def _problem(samples=48, batch_size=8):
    tinyopt.manual_seed(0)
    X, y = data.make_moons(n_samples=samples, noise=0.2, seed=0)
    X = tinyopt.Tensor(X.array.astype("float64"))
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=batch_size, shuffle=False)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    return model, loader


class _Log(Callback):
    def __init__(self):
        self.calls = []

    def on_before_optimizer_step(self, step, loss, model, optimizer, history):
        self.calls.append(("before", step, loss))

    def on_step_end(self, step, loss, model, optimizer, history):
        assert len(history.steps["loss"]) == step + 1 and history.steps["loss"][-1] == loss
        self.calls.append(("end", step, loss))

    def on_epoch_end(self, epoch, record, model, optimizer, history):
        self.calls.append(("epoch", epoch, record["train_loss"]))


@pytest.mark.parametrize("accumulate_steps,steps_per_epoch", [(1, 6), (4, 2)])
def test_callbacks_fire_in_order_once_per_optimizer_step(accumulate_steps, steps_per_epoch):
    with backend.default_dtype_as("float64"):
        model, loader = _problem()
        first, second = _Log(), _Log()
        order = []
        first.on_step_end = lambda step, *rest: order.append(("first", step))
        second.on_step_end = lambda step, *rest: order.append(("second", step))
        log = _Log()
        history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                      loader, epochs=2, progress=False, accumulate_steps=accumulate_steps,
                      callbacks=[log, first, second])
    expected = []
    for epoch in range(2):
        for step in range(epoch * steps_per_epoch, (epoch + 1) * steps_per_epoch):
            loss = history.steps["loss"][step]
            expected += [("before", step, loss), ("end", step, loss)]
        expected.append(("epoch", epoch, history.epochs["train_loss"][epoch]))
    assert log.calls == expected
    assert order == [(name, step) for step in range(2 * steps_per_epoch)
                     for name in ("first", "second")]


def test_a_callback_without_any_hook_is_refused():
    model, loader = _problem()
    with pytest.raises(TypeError, match="on_step_end"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader,
            progress=False, callbacks=[object()])


@pytest.mark.parametrize("make_optimizer", [
    lambda params: optim.SGD(params, lr=0.3, momentum=0.9),
    lambda params: optim.Adam(params, lr=0.01),
    lambda params: optim.AdamW(params, lr=0.01, amsgrad=True),
], ids=["sgd", "adam", "adamw-amsgrad"])
def test_recorder_equals_norms_computed_by_hand(make_optimizer):
    with backend.default_dtype_as("float64"):
        model, loader = _problem()
        optimizer = make_optimizer(model.parameters())
        expected = {}

        class ByHand(Callback):
            def on_before_optimizer_step(self, step, loss, model, optimizer, history):
                self.before = {n: p.array.copy() for n, p in model.named_parameters()}

            def on_step_end(self, step, loss, model, optimizer, history):
                for name, p in model.named_parameters():
                    w, g = self.before[name], p.grad.array
                    dw = p.array - w
                    state, group = optimizer.state[p], optimizer.param_groups[0]
                    row = {"grad_norm": np.sqrt(np.sum(g * g)),
                           "weight_norm": np.sqrt(np.sum(w * w)),
                           "update_norm": np.sqrt(np.sum(dw * dw)), "lr": group["lr"]}
                    row["update_ratio"] = row["update_norm"] / row["weight_norm"]
                    if "exp_avg_sq" in state:
                        v = state.get("max_exp_avg_sq", state["exp_avg_sq"])
                        v_hat = v / (1 - group["betas"][1] ** state["step"])
                        rate = group["lr"] / (np.sqrt(v_hat) + group["eps"])
                        row["effective_lr_median"] = np.median(rate)
                        row["effective_lr_max"] = rate.max()
                    for key, value in row.items():
                        expected.setdefault(f"{key}/{name}", []).append(value)

        history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=2, progress=False,
                      callbacks=[ByHand()], record=[*DEFAULT_STATISTICS, "update_norm", "lr"])
    assert history.layers["step"] == list(range(12))
    names = {name for name, _ in model.named_parameters()}
    assert names == {"0.weight", "0.bias", "2.weight", "2.bias"}
    adaptive = "effective_lr_max/0.weight" in expected
    assert adaptive == ("effective_lr_max/0.weight" in history.layers)
    assert set(history.layers) - {"step"} == set(expected)
    for key, values in expected.items():
        np.testing.assert_allclose(history.layers[key], values, rtol=1e-12, atol=0, err_msg=key)
    assert 1e-6 < history.layers["update_ratio/2.weight"][0] < 1


def test_record_every_keeps_one_step_in_k_and_nothing_when_off():
    model, loader = _problem()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader,
                  epochs=2, progress=False, record=["update_ratio"], record_every=5)
    assert history.layers["step"] == [0, 5, 10]
    assert len(history.layers["update_ratio/0.weight"]) == 3
    assert set(history.layers) == {"step"} | {f"update_ratio/{n}" for n in
                                              ("0.weight", "0.bias", "2.weight", "2.bias")}
    assert "layers" in history.to_dict()
    plain = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader,
                progress=False)
    assert not plain.layers and "layers" not in plain.to_dict()


@pytest.mark.parametrize("kwargs,match", [
    ({"record": ["update"]}, "unknown statistic 'update'.*update_ratio"),
    ({"record": "grad_norm"}, "list of names"),
    ({"record": []}, "no statistic"),
    ({"record": ["lr"], "record_every": 0}, "record_every must be a positive int, got 0"),
])
def test_bad_record_arguments_are_refused(kwargs, match):
    model, loader = _problem()
    before = [p.array.copy() for p in model.parameters()]
    with pytest.raises((ValueError, TypeError), match=match):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader,
            progress=False, **kwargs)
    assert all(np.array_equal(b, p.array) for b, p in zip(before, model.parameters()))
