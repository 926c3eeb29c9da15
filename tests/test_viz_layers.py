"""``plot_layer_dynamics`` draws one line per layer on log axes with the 1e-3 guide, and
``tinyopt train --record`` writes it."""
import json

import numpy as np
import pytest
from PIL import Image

import tinyopt
from tinyopt import data, nn, optim
from tinyopt.cli import main
from tinyopt.train import fit
from tinyopt.viz import plot_layer_dynamics


@pytest.fixture(scope="module")
def history():
    tinyopt.manual_seed(0)
    X, y = data.make_moons(n_samples=128, noise=0.2, seed=0)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=16, shuffle=False)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    optimizer.executor = "numpy"
    return fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=2, progress=False,
               record=["update_ratio", "grad_norm", "weight_norm", "effective_lr"])


def test_one_panel_per_statistic_one_line_per_layer_log_axes_and_the_guide(history):
    figure = plot_layer_dynamics(history, title="Adam")
    axes = [axis for axis in figure.axes if axis.get_visible()]
    assert [a.get_title().split(" ")[0] for a in axes] == ["update", "gradient", "weight",
                                                          "effective"]
    assert all(axis.get_yscale() == "log" for axis in axes)
    ratio = axes[0]
    guides = [line for line in ratio.lines if line.get_label().startswith("rule of thumb")]
    assert len(guides) == 1 and list(guides[0].get_ydata()) == [1e-3, 1e-3]
    layers = [line for line in ratio.lines if not line.get_label().startswith("rule")]
    assert [line.get_label() for line in layers] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    np.testing.assert_array_equal(layers[2].get_ydata(), history.layers["update_ratio/2.weight"])
    np.testing.assert_array_equal(layers[2].get_xdata(), np.arange(1, 17))
    assert len(axes[3].lines) == 2 * 4  # median and max per layer
    assert figure.get_suptitle() == "Adam"


def test_a_selection_of_statistics_and_parameters_and_its_errors(history):
    figure = plot_layer_dynamics(history.to_dict(), stats=["update_ratio"],
                                 parameters=["0.weight", "2.weight"], guide=None)
    assert [line.get_label() for line in figure.axes[0].lines] == ["0.weight", "2.weight"]
    with pytest.raises(ValueError, match="'update_norm' is not recorded .recorded: update_ratio"):
        plot_layer_dynamics(history, stats=["update_norm"])
    with pytest.raises(ValueError, match="parameters: '1.weight' is not recorded"):
        plot_layer_dynamics(history, parameters=["1.weight"])
    with pytest.raises(ValueError, match="no layer records"):
        plot_layer_dynamics({"steps": {}, "epochs": {}, "layers": {}})


def test_train_record_writes_the_layer_figure_and_the_records(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")
    out = tmp_path / "run"
    assert main(["train", "--epochs", "2", "--hidden", "8", "--batch-size", "100",
                 "--record", "--no-progress", "--out", str(out)]) == 0
    history = json.loads((out / "history.json").read_text())
    assert history["layers"]["step"] == list(range(16))
    assert len(history["layers"]["update_ratio/4.weight"]) == 16
    with Image.open(out / "layers.png") as image:
        assert image.size[0] > 1000
    assert main(["train", "--epochs", "1", "--no-progress", "--out", str(tmp_path / "plain")]) == 0
    assert not (tmp_path / "plain" / "layers.png").exists()
