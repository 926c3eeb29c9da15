"""``tinyopt bench train --model ...``: every workload runs in a small mode, and its profile adds up.

Speed itself is measured by running the benchmark, never asserted here.
"""
import json

import numpy as np
import pytest

import tinyopt
from tinyopt import cli
from tinyopt.autograd.profiler import profile
from tinyopt.bench.workloads import WORKLOADS


@pytest.mark.parametrize("model", sorted(WORKLOADS))
def test_each_workload_trains_in_both_libraries_with_a_ratio(model, capsys):
    code = cli.main(["bench", "train", "--model", model, "--samples", "64", "--epochs", "1",
                     "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == model and result["samples"] == 64
    assert np.isfinite(result["tinyopt_final_loss"])
    if "torch_ms_per_epoch" in result:
        assert result["ratio_tinyopt_over_torch"] > 0


@pytest.mark.parametrize("model", sorted(WORKLOADS))
def test_the_same_workload_code_builds_the_same_network_in_both_libraries(model):
    torch = pytest.importorskip("torch")
    ours, theirs = WORKLOADS[model].build(tinyopt, 16), WORKLOADS[model].build(torch, 16)
    shapes = [tuple(p.shape) for p in ours.parameters()]
    assert shapes == [tuple(p.shape) for p in theirs.parameters()]


def test_profile_charges_forward_ops_once_and_times_backward_by_op():
    x = tinyopt.randn(8, 4, requires_grad=True)
    layer = tinyopt.nn.Linear(4, 3)
    with profile() as report:
        loss = layer(x).softmax(-1).mean()
        loss.backward()
    rows = report.rows()
    phases = {(r["phase"], r["op"]) for r in rows}
    assert ("forward", "linear") in phases and ("backward", "linear") in phases
    assert all(r["ms"] >= 0 and r["calls"] > 0 for r in rows)
    assert "forward:" in report.table() and "backward:" in report.table()
    # outside the block the ops are the originals again
    from tinyopt.autograd.ops import linalg
    assert linalg.linear.__module__ == "tinyopt.autograd.ops.linalg"
    assert not hasattr(linalg.linear, "__wrapped__")


def test_bench_train_profile_prints_the_table(capsys):
    assert cli.main(["bench", "train", "--model", "mlp", "--samples", "64", "--epochs", "1",
                     "--profile"]) == 0
    out = capsys.readouterr().out
    assert "forward:" in out and "backward:" in out


@pytest.mark.skipif(tinyopt.backend.cuda_is_available(), reason="a GPU is here: nothing missing")
def test_backend_cupy_without_cupy_or_a_gpu_says_which_and_exits_1(capsys):
    assert cli.main(["bench", "train", "--backend", "cupy", "--samples", "64",
                     "--epochs", "1"]) == 1
    err = capsys.readouterr().err
    assert "device 'cuda'" in err and ("pip install 'tinyopt[gpu]'" in err
                                       or "finds no GPU" in err)
    assert "Traceback" not in err


def test_backend_cupy_refuses_memory_and_run_checks_the_device(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["bench", "train", "--backend", "cupy", "--memory"])
    assert exit_.value.code == 2
    assert "--memory measures host memory" in capsys.readouterr().err
    from tinyopt.bench.train import run
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda', got 'tpu'"):
        run("mlp", samples=64, epochs=1, device="tpu")


@pytest.mark.skipif(not tinyopt.backend.cuda_is_available(), reason="needs CuPy and an NVIDIA GPU")
def test_an_epoch_on_the_gpu_trains_and_reports_the_device():
    from tinyopt.bench.train import run
    result, _ = run("cnn", samples=128, epochs=1, device="cuda")
    assert result["device"] == "cuda" and result["tinyopt_ms_per_epoch"] > 0
    assert np.isfinite(result["tinyopt_final_loss"])


def test_isolated_times_each_library_in_processes_of_its_own():
    from tinyopt.bench import isolated, train
    result = train.run_isolated("mlp", samples=64, epochs=2, rounds=1)
    assert result["isolated"] and result["samples"] == 64 and result["epochs_timed"] == 2
    assert np.isfinite(result["tinyopt_final_loss"]) and result["tinyopt_ms_per_epoch"] > 0
    if "torch_ms_per_epoch" in result:
        assert np.isfinite(result["torch_final_loss"]) and result["ratio_tinyopt_over_torch"] > 0
    here = isolated.time_here("tinyopt", "mlp", 16, 32, 1, 64)  # what each process prints
    assert here["library"] == "tinyopt" and len(here["seconds"]) == 1 and here["samples"] == 64


def test_isolated_profile_prints_the_table(capsys):
    assert cli.main(["bench", "train", "--model", "mlp", "--samples", "64", "--epochs", "1",
                     "--isolated", "--rounds", "1", "--profile"]) == 0
    out = capsys.readouterr().out
    assert "processes of its own (rounds: 1," in out and "forward:" in out and "backward:" in out


def test_rounds_needs_isolated(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["bench", "train", "--rounds", "3"])
    assert exit_.value.code == 2
    assert "--rounds counts the processes of --isolated" in capsys.readouterr().err


def test_isolated_refuses_the_gpu_backend(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["bench", "train", "--isolated", "--backend", "cupy"])
    assert exit_.value.code == 2
    assert "--isolated" in capsys.readouterr().err
