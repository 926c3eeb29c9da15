"""Every deck figure script in lectures/figures runs in its fast mode and draws a figure with
the panels its slide needs, finite curves, and texts and legends that all fit; the deck's own
optimizer variants (lectures/figures/_deck_optimizers.py) step as their formulas say."""
import importlib.util
import sys
from pathlib import Path

import numpy
import pytest

import tinyopt
from tinyopt.nn import Parameter
from tinyopt.viz import artists_outside

FIGURES = Path(__file__).resolve().parent.parent / "lectures" / "figures"
spec = importlib.util.spec_from_file_location("render", FIGURES / "render.py")
render = importlib.util.module_from_spec(spec)
spec.loader.exec_module(render)
sys.path.insert(0, str(FIGURES))  # the _*.py helpers the scripts share
from _deck_optimizers import AdamV0, DeckRProp  # noqa: E402

PANELS = {"gd_variants": 2, "landscape_challenges": 3, "momentum_vs_sgd": 2,
          "nesterov_lookahead": 2, "weight_decay": 2, "adagrad_decay": 2,
          "optimizer_family_race": 9, "lion_sign": 2, "soap_muon": 1, "schedule_step": 1,
          "schedule_cosine": 1, "schedule_warmup": 1, "schedule_onecycle": 1,
          "schedule_plateau": 2, "schedule_free": 2, "loss_spikes": 2,
          "spike_weights_vs_steps": 2, "largest_lr_that_trains": 2, "deep_net_lrs": 2,
          "per_layer_lrs": 3, "rprop_to_lion": 6, "adam_v0_early_steps": 2,
          "linear_scaling": 1, "warmup_updates": 2, "sam_flat_minima": 1}
"""Every figure the two decks reference (the slide-deck builders use exactly these names),
and how many visible panels it has."""


@pytest.fixture(autouse=True)
def numpy_executor(monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")


def test_every_deck_figure_has_a_script_of_at_most_40_lines():
    assert sorted(path.stem for path in render.scripts()) == sorted(PANELS)
    for path in render.scripts():
        assert len(path.read_text().splitlines()) <= 40, path.name


@pytest.mark.parametrize("path", render.scripts(), ids=lambda path: path.stem)
def test_each_script_draws_its_panels_finite_and_fitting(path):
    if "digits" in path.read_text():
        pytest.importorskip("sklearn")  # the 8x8 digits
    with numpy.errstate(over="ignore", invalid="ignore"):  # the diverging runs of the sweeps
        figure = render.load(path).make(fast=True)
    visible = [axis for axis in figure.axes if axis.get_visible()]
    assert len(visible) == PANELS[path.stem]
    curves = [numpy.asarray(line.get_ydata(), dtype=float) for axis in visible
              for line in axis.lines if len(line.get_ydata())]
    assert all(numpy.isfinite(curve).all() for curve in curves)
    assert artists_outside(figure) == []


def test_render_writes_one_file_per_script(tmp_path, monkeypatch):
    with tinyopt.viz.lecture_style():
        figure, axis = tinyopt.viz.new_figure()
    axis.plot([0, 1], [1, 0])
    stub = type(sys)("stub")
    stub.make = lambda fast: figure
    monkeypatch.setattr(render, "load", lambda path: stub)
    render.main(["--fast", "--out", str(tmp_path), "--format", "png"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{path.stem}.{fmt}" for path in render.scripts() for fmt in ("png",))


@pytest.mark.parametrize("executor", ["numpy", "numba"])
def test_deck_rprop_steps_by_the_normalised_gradient_plus_momentum(executor):
    pytest.importorskip(executor)
    theta = Parameter(numpy.array([3.0, -4.0]))
    optimizer = DeckRProp([theta], lr=0.1, momentum=0.5)
    optimizer.executor = executor
    for expected in ([2.94, -4.08], [2.85, -4.2]):  # m = (0.6, 0.8), then (0.9, 1.2)
        theta.grad = tinyopt.tensor(numpy.array([3.0, 4.0]))
        optimizer.step()
        numpy.testing.assert_allclose(theta.array, expected, rtol=1e-12)


@pytest.mark.parametrize("executor", ["numpy", "numba"])
def test_adam_v0_has_no_bias_correction(executor):
    pytest.importorskip(executor)
    theta = Parameter(numpy.array([1.0]))
    optimizer = AdamV0([theta], lr=0.01, momentum=0.9, beta2=0.999, eps=0.0)
    optimizer.executor = executor
    m = v = 0.0
    for step, g in enumerate((2.0, -1.0, 0.5)):
        theta.grad = tinyopt.tensor(numpy.array([g]))
        before = theta.item()
        optimizer.step()
        v, m = 0.999 * v + 0.001 * g * g, g + 0.9 * m
        assert theta.item() == pytest.approx(before - 0.01 * m / v ** 0.5, rel=1e-12)
    first_step = 0.01 * 2.0 / (0.001 * 4.0) ** 0.5
    assert first_step / 0.01 == pytest.approx(1 / 0.001 ** 0.5)  # ≈ 31.6 lr: too large


def test_deck_optimizers_name_a_bad_argument():
    with pytest.raises(ValueError, match="momentum"):
        DeckRProp([Parameter(numpy.zeros(2))], lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="beta2"):
        AdamV0([Parameter(numpy.zeros(2))], beta2=1.5)
