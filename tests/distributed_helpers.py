"""Helpers of the tests/test_distributed_*.py files: one training run, in-process or under MPI.

``train`` is the same code for one process (the reference: batch N·b) and
for each of N ranks (batch b, its share of the same N·b rows). Run as a
script under ``mpiexec`` it trains one scenario and rank 0 writes the
results (final parameters, state bytes per rank, a state dict) to a pickle.

    mpiexec -n N python tests/distributed_helpers.py SCENARIO OUT [ARGS...]

Scenarios batch many runs into one launch: starting N Python processes
costs seconds, the runs themselves milliseconds.
"""
import os
import pickle
import shutil
import subprocess
import sys

import numpy

import tinyopt
from tinyopt import nn, optim
from tinyopt import distributed as dist

STEPS, BATCH = 20, 4
OPTIMIZERS = {
    "SGD": (optim.SGD, dict(lr=0.1, momentum=0.9)),
    "AdamW": (optim.AdamW, dict(lr=1e-2, weight_decay=0.1)),
    "LAMB": (optim.LAMB, dict(lr=1e-2, weight_decay=0.1)),
    "LARS": (optim.LARS, dict(lr=1.0, momentum=0.9, weight_decay=1e-3, trust_coefficient=0.02)),
}
LAST_GROUP_LR = 5e-3
TIMEOUT = 120
"""Seconds one launch may take before the test fails (4 ranks start in about 5 s)."""
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mpi_available():
    """(True, "") when mpiexec and mpi4py are there, else (False, why)."""
    if shutil.which("mpiexec") is None:
        return False, "mpiexec not found (pip install 'tinyopt[dist]': mpi4py and mpich)"
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False, "mpi4py is not installed (pip install 'tinyopt[dist]')"
    return True, ""


def launch(workers, *args, timeout=TIMEOUT):
    """Run this file under ``mpiexec -n workers`` on loopback; the CompletedProcess."""
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    command = ["mpiexec", "-n", str(workers), "-host", "localhost", sys.executable,
               os.path.abspath(__file__), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)


def data(dtype, rows):
    """``rows`` samples (x, y); the first k rows are the same for every ``rows`` >= k."""
    x = numpy.random.default_rng([0, 0]).standard_normal((rows, 5)).astype(dtype)
    y = numpy.random.default_rng([0, 1]).standard_normal((rows, 3)).astype(dtype)
    return x, y


def make_model(dtype):
    tinyopt.manual_seed(1)
    model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    for param in model.parameters():
        param.array = param.array.astype(dtype)
    return model


def param_groups(model):
    """Three groups; the last (3 elements) leaves a 4th rank no slice: it must still take part."""
    weights = [p for p in model.parameters() if p.ndim > 1]
    first_bias, last_bias = [p for p in model.parameters() if p.ndim <= 1]
    return [{"params": weights}, {"params": [first_bias], "weight_decay": 0.0},
            {"params": [last_bias], "lr": LAST_GROUP_LR}]


def train(mode, name, dtype, global_batch, steps=STEPS, start=0, state=None, weights=None,
          executor="numpy"):
    """Train ``steps`` steps from step ``start``; return (model, optimizer).

    Each step's batch is ``global_batch`` rows, this rank reading its
    1/world_size() of them (all of them in one process). ``mode``: "plain"
    (the ordinary optimizer), "ddp", "ddp_no_sync" (two accumulated halves
    per step, the first under ``no_sync``) or "zero". The ``executor`` is the
    same on both sides of a comparison: numba's float32 rounding differs from
    NumPy's by more than the distributed part does (8e-7 vs 3e-8 here)."""
    model = make_model(dtype)
    if weights is not None:
        for param, value in zip(model.parameters(), weights):
            param.array[...] = value
    optimizer_class, options = OPTIMIZERS[name]
    if mode == "zero":
        optimizer = dist.ZeroRedundancyOptimizer(param_groups(model), optimizer_class, **options)
    else:
        optimizer = optimizer_class(param_groups(model), **options)
    (optimizer.optim if mode == "zero" else optimizer).executor = executor
    if mode.startswith("ddp"):
        model = dist.DistributedDataParallel(model, bucket_cap_mb=1e-4)  # several buckets
    if state is not None:
        optimizer.load_state_dict(state)
    x, y = data(dtype, global_batch * (start + steps))
    local = global_batch // dist.world_size()
    for step in range(start, start + steps):
        first = step * global_batch + dist.rank() * local
        xb, yb = x[first:first + local], y[first:first + local]
        optimizer.zero_grad()
        if mode == "ddp_no_sync":
            half = local // 2
            with model.no_sync():
                _loss(model, xb[:half], yb[:half], 0.5).backward()
            _loss(model, xb[half:], yb[half:], 0.5).backward()
        else:
            _loss(model, xb, yb).backward()
        optimizer.step()
    return model, optimizer


def _loss(model, x, y, scale=1.0):
    return nn.functional.mse_loss(model(tinyopt.tensor(x)), tinyopt.tensor(y)) * scale


def weights_of(model):
    return [param.array.copy() for param in model.parameters()]


PARITY_RUNS = [(mode, name, dtype) for mode in ("ddp", "zero") for name in OPTIMIZERS
               for dtype in ("float64", "float32")] + [("ddp_no_sync", "AdamW", "float64")]
CHECKPOINT_OPTIMIZERS = ("SGD", "AdamW", "LAMB")
CHECKPOINT_BATCH = 16


def main(scenario, out, *args):
    """Run ``scenario`` on every rank; rank 0 pickles the results to ``out``."""
    dist.init()
    result = {}
    if scenario == "parity":  # every PARITY_RUNS entry, batch BATCH per rank
        for run in PARITY_RUNS:
            model, optimizer = train(*run, BATCH * dist.world_size())
            result[run] = (weights_of(model),
                           dist.collectives.allgather_objects(optimizer.state_bytes()))
    elif scenario == "checkpoint":  # ZeRO: STEPS // 2 steps, the state dicts
        for name in CHECKPOINT_OPTIMIZERS:
            model, optimizer = train("zero", name, "float64", CHECKPOINT_BATCH, STEPS // 2)
            result[name] = (weights_of(model), optimizer.state_dict())
    elif scenario == "resume":  # ZeRO: the other STEPS // 2 steps from args[0]'s checkpoint
        with open(args[0], "rb") as file:
            saved = pickle.load(file)
        for name in CHECKPOINT_OPTIMIZERS:
            weights, state = saved[name]
            model, _ = train("zero", name, "float64", CHECKPOINT_BATCH, STEPS // 2, STEPS // 2,
                             state, weights)
            result[name] = weights_of(model)
    elif scenario == "collectives":
        result = check_collectives()
    elif scenario == "die":  # args[0]: "raise" or "exit", on rank 1 in the middle of a step
        model, optimizer = train("zero", "AdamW", "float64", BATCH * dist.world_size(), 2)
        if dist.rank() == 1:
            if args[0] == "raise":
                raise RuntimeError("rank 1 fails on purpose")
            os._exit(7)
        optimizer.step()  # the others wait in reduce_scatter for rank 1
    else:
        raise ValueError(f"unknown scenario {scenario!r}")
    if dist.rank() == 0:
        with open(out, "wb") as file:
            pickle.dump(result, file)


def check_collectives():
    """Each collective's result on this rank, beside what the formula says it must be."""
    n, r = dist.world_size(), dist.rank()
    x = numpy.arange(2 * n, dtype=numpy.float64) + 10 * r        # rank r's array
    total = sum(numpy.arange(2 * n) + 10 * k for k in range(n))
    checks = {
        "all_reduce sum": (dist.all_reduce(x), total),
        "all_reduce mean": (dist.all_reduce(x, op="mean"), total / n),
        "all_reduce max": (dist.all_reduce(x, op="max"), numpy.arange(2 * n) + 10 * (n - 1)),
        "reduce_scatter": (dist.reduce_scatter(x), total[2 * r:2 * r + 2]),
        "all_gather": (dist.all_gather(x[:2].astype(numpy.float32)),
                       numpy.concatenate([numpy.arange(2) + 10 * k for k in range(n)])),
        "broadcast": (dist.broadcast(x, src=n - 1), numpy.arange(2 * n) + 10 * (n - 1)),
    }
    in_place = x.copy()
    dist.all_reduce(in_place, out=in_place)
    checks["all_reduce in place"] = (in_place, total)
    every = dist.collectives.allgather_objects(
        {name: bool(numpy.array_equal(got, want)) for name, (got, want) in checks.items()})
    return {"ranks": every, "world_size": n}


if __name__ == "__main__":
    main(*sys.argv[1:])
