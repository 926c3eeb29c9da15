"""``tinyopt bench train --memory`` (``bench.memory``): the figures are real growths."""
import numpy as np

from tinyopt import cli
from tinyopt.bench.memory import format_lines, measure_here, rss_growth


def test_rss_growth_sees_a_64_mib_array_the_step_touches():
    def step():
        array = np.empty(64 * 2**20, np.uint8)
        array.fill(1)
    assert rss_growth(step) >= 60 * 2**20
    assert rss_growth(lambda: None) < 8 * 2**20


def test_measure_here_gives_positive_byte_counts_for_the_mlp():
    result = measure_here("tinyopt", "mlp", samples=64, repeat=1)
    assert isinstance(result["rss_bytes"], int) and result["rss_bytes"] > 0
    assert result["tracemalloc_bytes"] > 0
    lines = format_lines({"tinyopt": result})
    assert "tinyopt  RSS" in lines[1] and "MiB" in lines[1]


def test_bench_train_memory_prints_both_figures(capsys):
    assert cli.main(["bench", "train", "--model", "mlp", "--samples", "64", "--epochs", "1",
                     "--memory"]) == 0
    out = capsys.readouterr().out
    assert "peak extra memory of one training step" in out and "tracemalloc" in out
