"""``tinyopt bench step --backend cupy``: a clear error without a GPU; on one, every row.

The GPU run is skipped (with the reason) where CuPy or a GPU is missing, as in CI.
"""
import subprocess
import sys

import pytest

from tinyopt import backend
from tinyopt.bench import gpu_step


@pytest.mark.skipif(backend.cuda_is_available(), reason="a GPU is here: nothing is missing")
def test_without_cupy_or_a_gpu_the_command_says_which_and_exits_1():
    done = subprocess.run([sys.executable, "-m", "tinyopt", "bench", "step", "--backend", "cupy",
                           "--quick"], capture_output=True, text=True)
    assert done.returncode == 1
    assert "tinyopt bench: error: device 'cuda'" in done.stderr
    assert "pip install 'tinyopt[gpu]'" in done.stderr or "finds no GPU" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_table_shows_each_row_against_the_device_copy():
    """Formatting only, on a result dict of the shape ``measure_on_gpu`` returns."""
    result = {"optimizer": "adamw", "params": 1000, "layout": "single", "repeat": 3,
              "device": "a GPU", "bytes_per_param": 28.0,
              "device_copy": {"ms": 0.5, "gb_per_s": 800.0},
              "rows": {"tinyopt cupy": {"ms": 1.0, "gb_per_s": 700.0, "of_copy": 0.875}}}
    table = gpu_step.format_gpu_table(result)
    assert "device-to-device copy: 0.500 ms, 800.0 GB/s" in table
    assert "tinyopt cupy" in table and "88%" in table
    assert "no CUDA build of torch" in table


@pytest.mark.skipif(not backend.cuda_is_available(), reason="needs CuPy and an NVIDIA GPU")
def test_measure_on_the_gpu_reports_gb_per_s_and_the_fraction_of_a_copy():
    result = gpu_step.measure_on_gpu("adamw", params=100_000, repeat=3)
    row = result["rows"]["tinyopt cupy"]
    assert row["ms"] > 0 and row["gb_per_s"] > 0
    assert row["of_copy"] == pytest.approx(row["gb_per_s"] / result["device_copy"]["gb_per_s"])
    assert result["bytes_per_param"] == 28
    assert backend.xp.__name__ == "numpy"  # the backend is restored
