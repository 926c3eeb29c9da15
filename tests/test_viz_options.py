"""The options lecturers asked for in the figures: runs without validation data, the raw loss
next to the smoothed one, spikes marked, one panel per schedule, figure size and dpi, GIF
width and dpi with a legend that fits."""
import numpy as np
import pytest
from PIL import Image

import tinyopt
from tinyopt import data, landscapes, nn, optim
from tinyopt.optim.lr_scheduler import closed_forms as cf
from tinyopt.spikes import SpikeDetector
from tinyopt.train import fit
from tinyopt.viz import (artists_outside, lecture_style, plot_comparison, plot_schedules,
                         save_figure, save_trajectory_gif)
from tinyopt.viz.animation import race_figure


@pytest.fixture(autouse=True)
def numpy_executor(monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")


def _history(val=True, callbacks=None, lr=0.5):
    tinyopt.manual_seed(0)
    X, y = data.make_moons(n_samples=128, seed=0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=16, shuffle=True, seed=0)
    return fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr), loader,
               epochs=2, val_loader=loader if val else None, progress=False,
               callbacks=callbacks or ())


def test_a_comparison_of_runs_without_validation_data_draws_the_training_loss_only():
    history = _history(val=False)
    assert history.epochs.get("val_loss", []) == []
    figure = plot_comparison({"sgd": history, "as json": history.to_dict()}, title="moons")
    assert [axis.get_title() for axis in figure.axes] == ["Training loss (smoothed)"]
    assert len(figure.axes[0].get_lines()) == 2
    assert artists_outside(figure) == []
    with pytest.raises(ValueError, match="histories is empty"):
        plot_comparison({})


def test_a_comparison_mixing_runs_with_and_without_validation_keeps_the_test_panels():
    figure = plot_comparison({"with": _history(val=True), "without": _history(val=False)})
    train, test, accuracy = figure.axes
    assert len(train.get_lines()) == 2 and len(test.get_lines()) == 1
    assert len(accuracy.get_lines()) == 1


def test_the_raw_loss_is_drawn_faint_under_the_smoothed_one():
    history = _history()
    figure = plot_comparison({"sgd": history}, raw_loss=True)
    raw, smoothed = figure.axes[0].get_lines()[:2]
    np.testing.assert_allclose(raw.get_ydata(), history.steps["loss"])
    assert raw.get_alpha() < 0.5 and smoothed.get_alpha() is None
    assert figure.axes[0].get_title() == "Training loss\n(smoothed; faint: per step)"
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["sgd"]  # raw: no entry
    assert len(plot_comparison({"sgd": history}).axes[0].get_lines()) == 1


def test_spikes_are_crossed_on_the_comparison_with_one_legend_entry():
    spiky = _history(callbacks=[SpikeDetector(window=3, relative=0.05)])
    assert spiky.spikes, "the loose detector should find spikes in a noisy SGD run"
    figure = plot_comparison({"a": spiky, "b": spiky.to_dict()})
    crosses = [line for line in figure.axes[0].get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 2
    assert list(crosses[0].get_xdata()) == [spike["step"] + 1 for spike in spiky.spikes]
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert labels == ["a", "b", "loss spike"]


SCHEDULES = {name: (lambda t, n=n: cf.step_lr(t, 0.1, 20 * n)) for n, name in
             enumerate(["a", "b", "c", "d"], start=1)}


def test_schedules_in_panels_one_per_schedule_with_its_warmup():
    schedules = dict(SCHEDULES, warm=lambda t: cf.warmup_cosine_lr(t, 0.1, 10, 100))
    figure = plot_schedules(schedules, 100, warmup={"warm": 10}, panels=True, columns=3,
                            title="five schedules")
    shown = [axis for axis in figure.axes if axis.get_visible()]
    assert [axis.get_title() for axis in shown] == list(SCHEDULES) + [
        "warm\n(shaded: 10 steps of warmup)"]
    assert len(figure.axes) == 6 and not figure.axes[5].get_visible()
    assert all(len(axis.get_lines()) == 1 for axis in shown[:4])
    assert len(shown[4].patches) == 1  # the warmup shaded in its own panel
    assert figure.get_suptitle() == "five schedules"
    # the panel above the empty slot carries the step axis
    assert shown[2].get_xlabel() == "step" and shown[3].get_xlabel() == "step"
    assert artists_outside(figure) == []
    with pytest.raises(ValueError, match="columns must be an int >= 1"):
        plot_schedules(SCHEDULES, 10, panels=True, columns=0)


def test_save_figure_resizes_and_sets_the_dpi(tmp_path):
    figure = plot_comparison({"sgd": _history()})
    save_figure(figure, tmp_path / "small.png", size=(8, 4), dpi=50)
    with Image.open(tmp_path / "small.png") as image:
        assert image.size == (400, 200)
    assert artists_outside(figure) == []
    save_figure(figure, tmp_path / "sharp.png", dpi=200)
    with Image.open(tmp_path / "sharp.png") as image:
        assert image.size == (1600, 800)
    with pytest.raises(ValueError, match="size must be two finite numbers > 0"):
        save_figure(figure, tmp_path / "x.png", size=(8, 0))
    with pytest.raises(ValueError, match="dpi must be a number > 0"):
        save_figure(figure, tmp_path / "x.png", dpi=-3)


SIX = ["sgd lr=0.001", "momentum lr=0.001", "adam lr=0.2", "rmsprop lr=0.2",
       "lion lr=0.0667", "adamw:lr=0.05,weight_decay=0.01 lr=0.05"]


@pytest.mark.parametrize("width", [5.0, 8.0, 12.0])
def test_the_race_animation_fits_six_long_labels_at_any_width(width):
    rosenbrock = landscapes.get("rosenbrock")
    paths = {label: np.zeros((3, 2)) for label in SIX}
    with lecture_style():
        figure, moving, counter = race_figure(rosenbrock, paths, 2, width=width, dpi=70,
                                              resolution=30)
        assert artists_outside(figure) == []
    assert len(moving) == 12 and counter.get_animated()
    assert [t.get_text() for t in figure.legends[0].get_texts()][1:] == SIX


def test_the_gif_is_width_times_dpi_pixels_wide(tmp_path):
    rosenbrock = landscapes.get("rosenbrock")
    path = landscapes.trajectory(rosenbrock, lambda p: optim.Adam(p, lr=0.1),
                                 rosenbrock.starts[0], 10)
    save_trajectory_gif(rosenbrock, {"adam": path}, tmp_path / "a.gif", frames=4, dpi=30,
                        width=10, resolution=30)
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.size[0] == 300 and gif.n_frames == 4
        first = np.asarray(gif.convert("RGB"))
        gif.seek(3)
        last = np.asarray(gif.convert("RGB"))
    assert (first != last).any()  # the path grows
    with pytest.raises(ValueError, match="width must be a number > 0"):
        save_trajectory_gif(rosenbrock, {"adam": path}, tmp_path / "b.gif", width=0)
    with pytest.raises(ValueError, match="dpi must be a number > 0"):
        save_trajectory_gif(rosenbrock, {"adam": path}, tmp_path / "b.gif", dpi=0)


def test_trajectory_figures_take_a_title():
    from tinyopt.viz import plot_trajectories
    booth = landscapes.get("booth")
    paths = {"a": np.zeros((3, 2)), "b": np.ones((3, 2))}
    assert plot_trajectories(booth, paths, title="Two paths").get_suptitle() == "Two paths"
    assert plot_trajectories(booth, paths, title="").get_suptitle() == ""
    assert plot_trajectories(booth, paths).get_suptitle().startswith(booth.title)
    assert plot_trajectories(booth, paths, overlay=True, title="One").axes[0].get_title() == \
        "One"
    with lecture_style():
        figure, _, _ = race_figure(booth, paths, 2, resolution=20, title="Race")
    assert figure.axes[0].get_title() == "Race"
