"""``tinyopt bench step`` runs end to end at tiny sizes (timings are never asserted)."""
import argparse
import json

import pytest

from tinyopt.bench import step


def test_tensor_sizes_of_both_layouts():
    assert step.tensor_sizes(25_000, "single") == [25_000]
    assert step.tensor_sizes(25_000, "many") == [10_000, 10_000, 5_000]


def test_adafactor_steps_near_square_matrices_and_the_rest_vectors():
    assert step.tensor_shape("adafactor", 10_000_000) == (3125, 3200)
    assert step.tensor_shape("adafactor", 10_000) == (100, 100)
    assert step.tensor_shape("adafactor", 7) == (1, 7)
    assert step.tensor_shape("adamw", 10_000) == (10_000,)


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


# Bytes per float32 parameter a step must move: p read and written (8), g read (4), and
# the state read and written. 8-bit: one byte per moment code plus a float32 scale per
# block of 256 (40 blocks per tensor of 10k); Adafactor (100 x 100 matrices): a row and
# a column average per matrix.
SCALES = 40 * 4 / 10_000
EXPECTED_BYTES = {"lion": 20, "lars": 20, "lamb": 28, "adafactor": 12 + 2 * 200 * 4 / 10_000,
                  "adam8bit": 12 + 2 * (2 + 2 * SCALES), "adamw8bit": 12 + 2 * (2 + 2 * SCALES),
                  "lion8bit": 12 + 2 * (1 + SCALES)}


@pytest.mark.parametrize("optimizer", sorted(step.OPTIMIZERS))
def test_every_registered_optimizer_runs_through_the_bench(optimizer):
    result = step.measure(optimizer, params=20_000, layout="many", repeat=1, warmup=0)
    assert {"numpy", "numba"} <= set(result["rows"])
    if optimizer in EXPECTED_BYTES:
        assert result["bytes_per_param"] == pytest.approx(EXPECTED_BYTES[optimizer])
    assert result["bytes_per_param"] >= 12  # p read and written, g read, at least


def test_torch_rows_appear_only_where_torch_has_the_optimizer():
    pytest.importorskip("torch")
    assert "torch foreach" in step.measure("adamw", 20_000, repeat=1, warmup=0)["rows"]
    assert not any(label.startswith("torch")
                   for label in step.measure("lion", 20_000, repeat=1, warmup=0)["rows"])


def test_quick_json_through_the_module_entry_point(capsys):
    parser = argparse.ArgumentParser()
    step.add_arguments(parser)
    step.main(parser.parse_args(["--optimizer", "lion8bit", "--quick", "--json"]))
    result = json.loads(capsys.readouterr().out)
    assert result["params"] == 100_000 and result["optimizer"] == "lion8bit"
    assert "numba" in result["rows"]


def test_compile_column_shows_a_cached_second_process():
    compile_times = step.compile_times("sgd", params=1_000)
    assert compile_times["cold"]["from_cache"] is False
    assert compile_times["cached"]["from_cache"] is True
