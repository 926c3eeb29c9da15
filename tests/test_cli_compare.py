"""``tinyopt compare --fast`` in a temporary folder: the report, its table, figures and data."""
import json

import pytest
from PIL import Image

from tinyopt import recipes
from tinyopt.cli import compare, main


@pytest.fixture(autouse=True)
def numpy_executor(monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One default ``compare --fast`` run, shared by the tests that read its outputs."""
    out = tmp_path_factory.mktemp("compare")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TINYOPT_EXECUTOR", "numpy")
        assert main(["compare", "--fast", "--no-progress", "--out", str(out)]) == 0
    return out


def test_the_report_has_a_row_per_default_recipe_and_the_settings(report):
    text = (report / "report.md").read_text()
    assert "| recipe | final train loss | test loss | test accuracy | steps to loss < 0.2 | " \
           "wall time |" in text
    for name in recipes.DEFAULT_RECIPES:
        assert f"| `{name}` |" in text
    assert "AdamW(lr=0.003, weight_decay=0.01) + warmup-cosine" in text
    assert "- epochs: 2" in text and "- hidden: 16" in text and "- dataset: spirals" in text
    assert "command: `tinyopt compare --fast --no-progress --out" in text
    assert "![curves.png](curves.png)" in text and "![results.png](results.png)" in text


def test_the_figures_are_written_at_their_sizes(report):
    with Image.open(report / "curves.png") as curves:
        assert curves.format == "PNG" and curves.size[0] > 1500 and curves.size[1] > 400
    with Image.open(report / "results.png") as table:
        assert table.size[0] > 600


def test_results_json_holds_every_recipe_and_its_history(report):
    results = json.loads((report / "results.json").read_text())
    assert results["settings"]["recipes"] == list(recipes.DEFAULT_RECIPES)
    assert [row["recipe"] for row in results["results"]] == list(recipes.DEFAULT_RECIPES)
    for row in results["results"]:
        assert 0 <= row["test_accuracy"] <= 1 and row["seconds"] > 0
        history = results["histories"][row["recipe"]]
        assert len(history["steps"]["loss"]) == row["steps"] == 2 * 25  # 800 / 32 per epoch
        assert history["epochs"]["epoch"] == [0, 1]


def test_every_recipe_starts_from_the_same_weights(report):
    histories = json.loads((report / "results.json").read_text())["histories"]
    first_losses = {history["steps"]["loss"][0] for history in histories.values()}
    assert len(first_losses) == 1


def test_own_recipes_and_a_diverging_one(tmp_path, capsys):
    code = main(["compare", "--fast", "--recipes", "nesterov:lr=0.1", "sgd:lr=1e9",
                 "--target-loss", "5", "--format", "png", "svg", "--out", str(tmp_path)])
    assert code == 0
    text = (tmp_path / "report.md").read_text()
    assert "| `sgd:lr=1e9` | diverged | - | - | - |" in text
    assert "| `nesterov:lr=0.1` |" in text and " of 50 |" in text  # reached loss < 5
    assert (tmp_path / "curves.svg").read_text().startswith("<?xml")
    assert "wrote report.md, curves.png, curves.svg" in capsys.readouterr().out


def test_steps_to_target_counts_from_one_on_the_smoothed_loss():
    assert compare.steps_to_target([1.0, 1.0, 0.0, 0.0], target=0.5) == 4
    assert compare.steps_to_target([0.1, 0.1], target=0.5) == 1
    assert compare.steps_to_target([1.0, 1.0], target=0.5) is None


def test_the_best_row_has_the_highest_accuracy_then_the_lowest_test_loss():
    results = [{"test_accuracy": 1.0, "test_loss": 0.3}, {"diverged": "loss became nan"},
               {"test_accuracy": 1.0, "test_loss": 0.1}, {"test_accuracy": 0.9, "test_loss": 0.01}]
    assert compare._best(results) == 2
    assert compare._best([{"diverged": "loss became inf"}]) is None
