"""The loss-spike detector: a spike injected by one huge-lr step is found (and only it),
marked on the plots, and with ``skip=True`` the run rewinds to the state before that step."""
import numpy as np
import pytest

import tinyopt
from tinyopt import backend, data, nn, optim
from tinyopt.callbacks import Callback
from tinyopt.spikes import SpikeDetector
from tinyopt.train import fit
from tinyopt.viz import plot_layer_dynamics, plot_training_curves

HUGE_STEP = 40


def _problem():
    tinyopt.manual_seed(0)
    X, y = data.make_moons(n_samples=400, noise=0.1, seed=0)
    X = tinyopt.Tensor(X.array.astype("float64"))
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=20, shuffle=True, seed=0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    optimizer.executor = "numpy"
    return model, loader, optimizer


class _HugeStep(Callback):
    """Step HUGE_STEP runs at 300 times the rate; keeps the weights it started from."""

    def on_before_optimizer_step(self, step, loss, model, optimizer, history):
        optimizer.param_groups[0]["lr"] = 30.0 if step == HUGE_STEP else 0.1
        if step == HUGE_STEP:
            self.before = {name: p.array.copy() for name, p in model.named_parameters()}
            self.momentum = {name: optimizer.state[p]["momentum_buffer"].copy()
                             for name, p in model.named_parameters()}


def test_a_huge_lr_step_is_detected_and_nothing_else():
    with backend.default_dtype_as("float64"):
        model, loader, optimizer = _problem()
        history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=3, progress=False,
                      callbacks=[_HugeStep(), SpikeDetector(window=10, relative=3.0)],
                      record=["update_ratio"])
    assert [spike["step"] for spike in history.spikes] == [HUGE_STEP + 1]
    spike = history.spikes[0]
    assert spike["loss"] == history.steps["loss"][HUGE_STEP + 1] and not spike["skipped"]
    assert spike["loss"] > 4 * spike["reference"]
    assert history.layers["update_ratio/0.weight"][HUGE_STEP] > \
        50 * history.layers["update_ratio/0.weight"][HUGE_STEP - 1]
    assert "spikes" in history.to_dict()
    crosses = [line for line in plot_training_curves({"sgd": history}).axes[0].lines
               if line.get_label() == "loss spike"]
    assert list(crosses[0].get_xdata())[0] == HUGE_STEP + 2
    marks = [line for line in plot_layer_dynamics(history).axes[0].lines
             if list(line.get_xdata()) == [HUGE_STEP + 2] * 2]
    assert len(marks) == len(history.spikes)


def test_skip_rewinds_to_the_state_before_the_update_that_caused_the_spike():
    with backend.default_dtype_as("float64"):
        model, loader, optimizer = _problem()
        huge, seen = _HugeStep(), {}

        class AfterRewind(Callback):
            def on_before_optimizer_step(self, step, loss, model, optimizer, history):
                if step == HUGE_STEP + 2:
                    seen.update({name: p.array.copy() for name, p in model.named_parameters()})
                    seen["lr"] = optimizer.param_groups[0]["lr"]
                    seen["momentum"] = {name: optimizer.state[p]["momentum_buffer"].copy()
                                        for name, p in model.named_parameters()}

        detector = SpikeDetector(window=10, relative=3.0, skip=True)
        history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=3, progress=False,
                      callbacks=[huge, detector, AfterRewind()])
    assert history.spikes[0]["step"] == HUGE_STEP + 1 and history.spikes[0]["skipped"]
    for name, before in huge.before.items():
        np.testing.assert_array_equal(seen[name], before, err_msg=name)
        np.testing.assert_array_equal(seen["momentum"][name], huge.momentum[name])
    assert seen["lr"] == 0.1  # the hyper-parameters were not rewound
    assert history.spikes[0]["loss"] not in detector.recent
    assert history.steps["loss"][HUGE_STEP + 2] < 2 * history.spikes[0]["reference"]


def test_the_thresholds():
    detector = SpikeDetector(window=3, relative=0.5, absolute=0.1)
    assert not detector.is_spike(100.0)  # the window is not full yet
    detector.recent.extend([0.1, 0.12, 0.11])
    assert detector.is_spike(0.3) and not detector.is_spike(0.16)  # 0.16 < 1.5 * 0.11
    assert not detector.is_spike(0.2)  # 1.8x the median, but only 0.09 above it


@pytest.mark.parametrize("kwargs,match", [
    ({"window": 1}, "window must be an int >= 2, got 1"),
    ({"relative": -0.1}, "relative must be a finite number >= 0, got -0.1"),
    ({"absolute": float("nan")}, "absolute must be a finite number >= 0"),
    ({"skip": 1}, "skip must be True or False"),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        SpikeDetector(**kwargs)
