"""Benchmark: data-parallel training steps on 1, 2, 4 MPI ranks, DDP vs ZeRO-1.

For each worker count N (``--workers 1,2,4``) this launches
``mpiexec -n N`` on this machine and measures, in that run:

- ms per training step (forward, backward, communication, AdamW update;
  the median over ``--steps`` after two warm-up steps) of an MLP
  ``in-hidden-hidden-10`` in float32, batch ``--batch-size`` per rank:
  ``DistributedDataParallel`` (bucketed all-reduce of the gradients, every
  rank the whole update) and ``ZeroRedundancyOptimizer`` (reduce-scatter,
  1/N of the update, all-gather);
- optimizer-state bytes per rank for both (ZeRO-1: about 1/N of DDP's);
- all-reduce bandwidth over a buffer the size of the model's gradients, as
  NCCL reports it: bus bandwidth = 2(N-1)/N · bytes / time.

On a laptop the ranks share its cores (oversubscribed beyond their number):
the step times then show the cost of communication and contention, not a
speed-up; the memory per rank is the point of ZeRO.

Run it with ``tinyopt bench dist`` or ``python -m tinyopt.bench.dist``
(needs mpi4py and an MPI launcher: ``pip install 'tinyopt[dist]'``).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import numpy


def add_arguments(parser):
    """The command-line options of this benchmark."""
    parser.add_argument("--workers", default="1,2,4",
                        help="comma-separated rank counts to launch (default 1,2,4)")
    parser.add_argument("--hidden", type=int, default=512, help="hidden width (default 512)")
    parser.add_argument("--batch-size", type=int, default=32,
                        help="samples per rank per step (default 32)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps (default 10)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def main(args):
    """Launch one MPI job per worker count; print a table (or JSON)."""
    workers = _parse_workers(args.workers)
    for name in ("hidden", "batch_size", "steps"):
        if getattr(args, name) <= 0:
            raise SystemExit(f"--{name.replace('_', '-')} must be a positive int")
    if shutil.which("mpiexec") is None:
        raise SystemExit("mpiexec not found: pip install 'tinyopt[dist]' (mpi4py and mpich)")
    results = [_launch(n, args) for n in workers]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    first = results[0]
    print(f"MLP {first['inputs']}-{args.hidden}-{args.hidden}-10 ({first['parameters']:,} "
          f"float32 parameters), AdamW, batch {args.batch_size} per rank, "
          f"{os.cpu_count()} cores")
    print(" ranks |   DDP ms/step  state/rank |  ZeRO ms/step  state/rank | all-reduce bus GB/s")
    for r in results:
        print(f" {r['world_size']:5d} | {r['ddp_ms']:13.2f} {_mb(r['ddp_state_bytes']):>11} | "
              f"{r['zero_ms']:13.2f} {_mb(r['zero_state_bytes']):>11} | "
              + ("       -" if r["allreduce_bus_gb_s"] is None
                 else f"{r['allreduce_bus_gb_s']:8.2f}"))


def run_rank(hidden, batch_size, steps):
    """One rank's measurements (call on every rank); rank 0's dict is the result."""
    import tinyopt
    from tinyopt import distributed as dist, nn, optim

    dist.init()
    inputs = 64
    rng = numpy.random.default_rng(dist.rank())
    x = tinyopt.tensor(rng.standard_normal((batch_size, inputs)).astype(numpy.float32))
    y = tinyopt.tensor(rng.integers(0, 10, batch_size))
    result = {"world_size": dist.world_size(), "inputs": inputs}
    for kind in ("ddp", "zero"):
        tinyopt.manual_seed(0)
        model = nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                              nn.ReLU(), nn.Linear(hidden, 10))
        for param in model.parameters():
            param.array = param.array.astype(numpy.float32)
        if kind == "ddp":
            optimizer = optim.AdamW(model.parameters(), lr=1e-3)
            model = dist.DistributedDataParallel(model)
        else:
            optimizer = dist.ZeroRedundancyOptimizer(model.parameters(), optim.AdamW, lr=1e-3)
        times = []
        for step in range(steps + 2):
            dist.barrier()
            start = time.perf_counter()
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
            dist.barrier()
            times.append(time.perf_counter() - start)
        result[f"{kind}_ms"] = 1e3 * statistics.median(times[2:])
        result[f"{kind}_state_bytes"] = max(dist.collectives.allgather_objects(
            optimizer.state_bytes()))
        result["parameters"] = sum(p.array.size for p in model.parameters())
    buffer = numpy.ones(result["parameters"], dtype=numpy.float32)
    times = []
    for _ in range(steps + 2):
        dist.barrier()
        start = time.perf_counter()
        dist.all_reduce(buffer, out=buffer)
        times.append(time.perf_counter() - start)
    n = dist.world_size()
    seconds = statistics.median(times[2:])  # one rank moves no bytes: no bandwidth
    result["allreduce_bus_gb_s"] = 2 * (n - 1) / n * buffer.nbytes / seconds / 1e9 if n > 1 \
        else None
    return result


def _launch(workers, args):
    command = ["mpiexec", "-n", str(workers), "-host", "localhost", sys.executable, "-m",
               "tinyopt.bench.dist", "--rank-worker", str(args.hidden), str(args.batch_size),
               str(args.steps)]
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    finished = subprocess.run(command, capture_output=True, text=True, env=env)
    if finished.returncode != 0:
        raise SystemExit(f"mpiexec -n {workers} failed:\n{finished.stderr[-2000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def _parse_workers(text):
    try:
        workers = [int(part) for part in text.split(",")]
    except ValueError:
        workers = []
    if not workers or any(n <= 0 for n in workers):
        raise SystemExit(f"--workers must be positive ints separated by commas, got {text!r}")
    return workers


def _mb(count):
    return f"{count / 2**20:.2f} MB"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--rank-worker"]:
        measured = run_rank(*map(int, sys.argv[2:5]))
        from tinyopt import distributed

        if distributed.rank() == 0:
            print(json.dumps(measured))
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        add_arguments(parser)
        main(parser.parse_args())
