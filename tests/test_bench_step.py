"""``tinyopt bench step`` runs end to end in its quick mode (timings are never asserted)."""
import json

import pytest

from tinyopt import cli
from tinyopt.bench import step


def test_tensor_sizes_of_both_layouts():
    assert step.tensor_sizes(25_000, "single") == [25_000]
    assert step.tensor_sizes(25_000, "many") == [10_000, 10_000, 5_000]


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_measure_reports_every_row(optimizer):
    result = step.measure(optimizer, params=20_000, layout="many", repeat=2, warmup=1)
    rows = result["rows"]
    for label in ("numpy", "numba", "same-traffic floor", "in-place a += s*b"):
        assert rows[label]["ms"] > 0 and rows[label]["gb_per_s"] > 0
    assert rows["same-traffic floor"]["of_floor"] == pytest.approx(1.0)
    assert result["bytes_per_param"] == {"sgd": 20, "adamw": 28}[optimizer]
    assert result["tensors"] == 2
    assert "numba" in step.format_table(result)


def test_cli_quick_json(capsys):
    assert cli.main(["bench", "step", "--optimizer", "sgd", "--quick", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["params"] == 100_000 and "numba" in result["rows"]
