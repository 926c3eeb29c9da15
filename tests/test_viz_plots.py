"""Every lecture figure draws what it promises: panels, lines, marks, frames, file sizes."""
import matplotlib.colors
import numpy as np
import pytest
from PIL import Image

import tinyopt
from tinyopt import data, landscapes, nn, optim
from tinyopt.optim import LRFinder
from tinyopt.optim.lr_scheduler import WarmupCosineLR
from tinyopt.optim.lr_scheduler import closed_forms as cf
from tinyopt.train import fit
from tinyopt.viz import (plot_comparison, plot_lr_finder, plot_schedules, plot_surface,
                         plot_table, plot_training_curves, plot_trajectories, save_figure,
                         save_trajectory_gif, schedule_values, smooth)
from tinyopt.viz.animation import frame_steps


@pytest.fixture(autouse=True)
def numpy_executor(monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")


def _paths(landscape, steps=40):
    start = landscape.starts[0]
    return {"sgd": landscapes.trajectory(landscape, lambda p: optim.SGD(p, lr=landscape.lr_sgd),
                                         start, steps),
            "adam": landscapes.trajectory(landscape,
                                          lambda p: optim.Adam(p, lr=landscape.lr_adaptive),
                                          start, steps)}


def _png_size(figure, path):
    save_figure(figure, path)
    with Image.open(path) as image:
        return image.size


def test_trajectories_side_by_side_fill_the_spare_panel_with_all_paths(tmp_path):
    rosenbrock = landscapes.get("rosenbrock")
    paths = {**_paths(rosenbrock), "momentum": landscapes.trajectory(
        rosenbrock, lambda p: optim.SGD(p, lr=1e-3, momentum=0.9), rosenbrock.starts[0], 40)}
    figure = plot_trajectories(rosenbrock, paths, columns=2)
    visible = [axis for axis in figure.axes if axis.get_visible()]
    assert len(visible) == 4
    assert [axis.get_title().splitlines()[0] for axis in visible] == ["sgd", "adam", "momentum",
                                                                      "all together"]
    assert "40 steps from (-1.2, 1)" in figure.get_suptitle()
    assert visible[0].get_xlim() == (-2.0, 2.0) and visible[0].get_ylim() == (-1.0, 3.0)
    width, height = _png_size(figure, tmp_path / "race.png")
    assert width > 1000 and height > 900


def test_an_overlay_labels_each_path_with_its_final_value():
    booth = landscapes.get("booth")
    paths = _paths(booth)
    figure = plot_trajectories(booth, paths, overlay=True)
    labels = figure.axes[0].get_legend_handles_labels()[1]
    final = booth.value_and_grad(paths["sgd"][-1])[0]
    assert f"sgd  (f = {final:.3g})" in labels
    with pytest.raises(ValueError, match="paths is empty"):
        plot_trajectories(booth, {})


def test_the_gif_has_one_frame_per_shown_step_and_reads_back(tmp_path):
    ravine = landscapes.get("ravine")
    calls = []
    frames = save_trajectory_gif(ravine, _paths(ravine, steps=40), tmp_path / "race.gif",
                                 frames=8, fps=4, dpi=40, resolution=40,
                                 progress=lambda frame, total: calls.append(frame))
    assert frames == 8 and len(calls) == 8
    with Image.open(tmp_path / "race.gif") as gif:
        assert gif.format == "GIF" and gif.n_frames == 8
        assert gif.size[0] == 8 * 40  # 8 inches at 40 dpi
        assert gif.info["duration"] == 250


def test_frame_steps_spread_evenly_and_reject_a_single_frame():
    assert list(frame_steps(100, 5)) == [0, 25, 50, 75, 100]
    assert list(frame_steps(3, 60)) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="frames must be >= 2"):
        frame_steps(10, 1)


def test_paths_of_different_lengths_cannot_be_animated(tmp_path):
    booth = landscapes.get("booth")
    with pytest.raises(ValueError, match="same number of points"):
        save_trajectory_gif(booth, {"a": np.zeros((3, 2)), "b": np.zeros((4, 2))},
                            tmp_path / "x.gif")


@pytest.mark.parametrize("name, z_label", [("rosenbrock", r"$\log(1 + f - f_{min})$"),
                                           ("saddle", "$f(x, y)$")])
def test_the_surface_is_3d_and_log_scaled_for_steep_landscapes(name, z_label, tmp_path):
    figure = plot_surface(landscapes.get(name), resolution=30)
    axis = figure.axes[0]
    assert axis.name == "3d" and axis.get_zlabel() == z_label
    assert _png_size(figure, tmp_path / "surface.png") == (800, 650)


def test_schedule_values_from_a_scheduler_a_function_and_a_list():
    scheduler = WarmupCosineLR(optim.SGD([nn.Parameter([0.0])], lr=0.1), 10, 100)
    closed_form = [cf.warmup_cosine_lr(step, 0.1, 10, 100) for step in range(100)]
    np.testing.assert_allclose(schedule_values(scheduler, 100), closed_form)
    np.testing.assert_allclose(
        schedule_values(lambda step: cf.warmup_cosine_lr(step, 0.1, 10, 100), 100), closed_form)
    assert list(schedule_values([0.3, 0.2, 0.1], 2)) == [0.3, 0.2]
    with pytest.raises(ValueError, match="one-dimensional"):
        schedule_values([[0.1]], 1)


def test_schedules_plot_shades_warmup_and_switches_to_a_log_axis():
    schedules = {"cosine": lambda t: cf.cosine_annealing_lr(t, 0.1, 200),
                 "warmup-cosine": lambda t: cf.warmup_cosine_lr(t, 0.1, 20, 200)}
    axis = plot_schedules(schedules, 200, warmup={"warmup-cosine": 20}).axes[0]
    assert axis.get_yscale() == "linear" and axis.get_xlim() == (0, 200)
    assert len(axis.patches) == 1  # one shaded warmup
    assert axis.get_legend_handles_labels()[1] == ["cosine", "warmup-cosine",
                                                   "warmup-cosine: warmup"]
    shading = axis.get_legend_handles_labels()[0][2]
    assert tuple(shading.get_facecolor()[:3]) == matplotlib.colors.to_rgb(
        axis.lines[1].get_color())
    assert plot_schedules(schedules, 200, log_y=True).axes[0].get_yscale() == "log"
    with pytest.raises(ValueError, match="schedules is empty"):
        plot_schedules({}, 10)


def _history(max_grad_norm):
    tinyopt.manual_seed(0)
    X, y = data.make_moons(n_samples=128, seed=0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=32, shuffle=True, seed=0)
    return fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5), loader,
               epochs=2, val_loader=loader, progress=False, max_grad_norm=max_grad_norm)


def test_training_curves_show_loss_lr_clipped_gradients_and_weight_norm():
    history = _history(max_grad_norm=0.1)
    figure = plot_training_curves({"sgd": history, "from json": history.to_dict()},
                                  title="moons")
    loss, lr, grad, weight = figure.axes
    assert [axis.get_title() for axis in figure.axes] == [
        "Loss (faint: per step)", "Learning rate", "Gradient norm", "Weight norm"]
    assert loss.get_yscale() == "log" and grad.get_yscale() == "log"
    clipped = grad.get_lines()[1].get_ydata()
    assert max(clipped) <= 0.1 + 1e-6 < max(grad.get_lines()[0].get_ydata())
    assert len(weight.get_lines()) == 2 and figure.get_suptitle() == "moons"


def test_smooth_is_a_bias_corrected_moving_average():
    assert smooth([2.0, 2.0, 2.0]).tolist() == pytest.approx([2.0, 2.0, 2.0])
    assert smooth([0.0, 1.0], beta=0.5)[1] == pytest.approx(0.5 / 0.75)


def test_comparison_has_train_test_and_accuracy_panels_with_a_shared_legend():
    history = _history(max_grad_norm=None)
    figure = plot_comparison({"sgd": history}, title="moons")
    assert [axis.get_title() for axis in figure.axes] == [
        "Training loss (smoothed)", "Test loss", "Test accuracy"]
    accuracy_line = figure.axes[2].get_lines()[0]
    assert list(accuracy_line.get_xdata()) == [4, 8]  # epoch ends, 4 batches each
    assert figure.legends[0].get_texts()[0].get_text() == "sgd"


def test_lr_finder_plot_marks_the_suggestion():
    tinyopt.manual_seed(0)
    X, y = data.make_moons(n_samples=256, seed=0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    finder = LRFinder(model, optim.SGD(model.parameters(), lr=1e-4), nn.CrossEntropyLoss())
    finder.range_test(data.DataLoader(data.TensorDataset(X, y), batch_size=32, shuffle=True,
                                      seed=0), start_lr=1e-4, end_lr=10, num_iter=40)
    axis = plot_lr_finder(finder, title="range test").axes[0]
    suggestion = finder.suggestion()
    assert axis.get_xscale() == "log" and axis.get_title() == "range test"
    assert f"suggestion: lr = {suggestion:.2g}" in axis.get_legend_handles_labels()[1]


def test_table_shades_the_best_row(tmp_path):
    figure = plot_table(["recipe", "accuracy"], [["adam", "97.2 %"], ["sgd", "93.1 %"]],
                        best_row=0)
    cells = figure.axes[0].tables[0].get_celld()
    assert cells[(1, 0)].get_facecolor() != cells[(2, 0)].get_facecolor()
    assert cells[(0, 0)].get_text().get_text() == "recipe"
    with pytest.raises(ValueError, match="each with 2 cells"):
        plot_table(["recipe", "accuracy"], [["adam"]])
