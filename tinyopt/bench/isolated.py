"""``tinyopt bench train --isolated``: each library's epochs in processes of its own.

In one process the two libraries must share one thread setting, and the one
that keeps them from fighting (``tinyopt.threads``: idle OpenMP threads
asleep, ``OMP_WAIT_POLICY=PASSIVE``) costs PyTorch a wake-up per parallel
region: its CNN epoch measured ~25% slower so than with OpenMP's default on
the idle 2-core machine (354 ms vs 270-285 ms). Here each library runs in a
fresh Python process with nothing of the other loaded, as a user would run
it: tinyopt with the setting ``fit`` applies, PyTorch with OpenMP's defaults
and only its thread count set (the same count; glibc's malloc left as it
is, ``TINYOPT_MALLOC=system``). The processes alternate, ``rounds`` of each
(a noisy machine slows both alike), each one warming up on one epoch and
then timing ``epochs``; the figure is the ratio of the medians of all timed
epochs, as in the one-process run.
"""
import argparse
import json
import statistics
import sys

from . import run_json_worker
from .memory import LIBRARIES

ROUNDS = 3
"""Processes per library, alternating."""


def time_here(library, model, hidden, batch_size, epochs, samples):
    """Warm up one epoch, then time ``epochs``, of ``library`` in *this* process (a dict)."""
    import importlib
    from ..threads import set_threads, thread_count
    from .train import _Trainer
    from .workloads import WORKLOADS
    if library == "tinyopt":
        set_threads()
    T = importlib.import_module(library)
    if library == "torch" and thread_count() is not None:
        T.set_num_threads(thread_count())  # the count only: OpenMP keeps its own defaults
    workload = WORKLOADS[model]
    X, y = workload.make_data(samples or workload.samples)
    trainer = _Trainer(T, workload, X, y, hidden)
    seconds, loss = [], None
    for epoch in range(epochs + 1):  # epoch 0 warms up
        elapsed, loss = trainer.epoch(batch_size, epoch)
        if epoch:
            seconds.append(elapsed)
    return {"library": library, "seconds": seconds, "final_loss": loss, "samples": len(X)}


def run(model, hidden, batch_size, epochs, samples, libraries, rounds=ROUNDS):
    """Alternate ``rounds`` fresh processes of each of ``libraries``; {library: time_here dict}
    with ``seconds`` gathered over the rounds."""
    results = {}
    for _ in range(rounds):
        for library in libraries:
            command = [sys.executable, "-m", "tinyopt.bench.isolated", "--library", library,
                       "--model", model, "--hidden", str(hidden), "--batch-size",
                       str(batch_size), "--epochs", str(epochs)]
            if samples is not None:
                command += ["--samples", str(samples)]
            extra = {"TINYOPT_MALLOC": "system"} if library == "torch" else {}
            result = run_json_worker(command, f"isolated {library} run", **extra)
            if library in results:
                results[library]["seconds"] += result["seconds"]
            else:
                results[library] = result
    return results


def median_ms(result):
    """The median epoch of a ``run`` entry, in milliseconds."""
    return 1e3 * statistics.median(result["seconds"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", choices=LIBRARIES, required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--hidden", type=int, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--samples", type=int, default=None)
    args = parser.parse_args()
    print(json.dumps(time_here(args.library, args.model, args.hidden, args.batch_size,
                               args.epochs, args.samples)))
