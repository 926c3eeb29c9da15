"""Process-level promises: importing tinyopt compiles nothing, a second process loads from cache."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])

STEP_AND_REPORT = """
import json, sys, numpy
import tinyopt
from tinyopt import optim
from tinyopt.nn import Parameter
from tinyopt.kernels import numba_executor
params = [Parameter(numpy.ones(4)), Parameter(numpy.ones(3))]
optimizer = optim.SGD(params, lr=0.5)
imported_before_step = "numba" in sys.modules
for p in params:
    p.grad = numpy.ones(p.shape)
optimizer.step()
print(json.dumps({"imported_before_step": imported_before_step,
                  "loads": [load.from_cache for load in numba_executor.kernel_loads],
                  "value": float(params[0].array[0])}))
"""


def run_python(code, **env):
    environment = {**os.environ, "PYTHONPATH": ROOT, **env}
    result = subprocess.run([sys.executable, "-c", code], env=environment, check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_tinyopt_or_building_an_optimizer_does_not_import_numba(tmp_path):
    report = run_python(STEP_AND_REPORT, NUMBA_CACHE_DIR=str(tmp_path))
    assert report["imported_before_step"] is False
    assert report["value"] == 0.5


def test_a_second_process_loads_the_kernel_from_the_disk_cache(tmp_path):
    first = run_python(STEP_AND_REPORT, NUMBA_CACHE_DIR=str(tmp_path))
    second = run_python(STEP_AND_REPORT, NUMBA_CACHE_DIR=str(tmp_path))
    assert first["loads"] == [False]
    assert second["loads"] == [True]
    assert list((tmp_path / "tinyopt-kernels").glob("sgd_rule_float64_*.py"))


def test_the_same_loop_runs_as_python_with_the_jit_disabled(tmp_path):
    report = run_python(STEP_AND_REPORT, NUMBA_CACHE_DIR=str(tmp_path), NUMBA_DISABLE_JIT="1")
    assert report["value"] == 0.5 and report["loads"] == [None]
