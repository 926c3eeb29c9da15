"""Benchmark: one training epoch of the same model in tinyopt and in PyTorch.

The workloads (``--model mlp|cnn|lstm|attention``, see ``bench.workloads``)
are written once over the library, so both build the same network and
train it on the same mini-batches, float32. Epochs alternate between the
two libraries (a noisy machine slows both alike), the first of each is
warm-up, and the figure of merit is the ratio of median epoch times,
tinyopt / PyTorch. Both run with the same thread setting (``tinyopt.threads``,
the one ``fit`` applies: one thread per core per pool, idle OpenMP threads
asleep). ``--profile`` then prints where tinyopt's time goes, op by op,
forward and backward apart. ``--memory`` adds the peak extra memory of one
training step of each library, each in a fresh process (``bench.memory``).
``--isolated`` times each library in processes of its own instead, PyTorch
with OpenMP's defaults rather than the shared setting, which slows it
(``bench.isolated``).
``--backend cupy`` runs the same epochs on a GPU: tinyopt's model moved with
``.to("cuda")`` (CuPy arrays, the cupy executor) against PyTorch's on CUDA;
without CuPy or a GPU it stops with one line saying which is missing. (No
GPU was lent to the sessions that wrote it: untested on hardware.)

Run it with ``tinyopt bench train`` or ``python -m tinyopt.bench.train``.
"""
import argparse
import json
import statistics
import time

import numpy

from . import isolated
from .workloads import WORKLOADS, make_optimizer


def _batches(n, batch_size, seed):
    order = numpy.random.default_rng(seed).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


class _Trainer:
    """One library's model, optimizer and epoch loop for a workload."""

    def __init__(self, T, workload, X, y, hidden, seed=0, device="cpu"):
        self.T, self.X, self.y, self.device = T, X, y, device
        T.manual_seed(seed)
        self.model = workload.build(T, hidden).to(device)
        self.optimizer = make_optimizer(T, workload.optimizer, self.model.parameters())
        self.loss_fn = T.nn.CrossEntropyLoss()
        self.X_all = T.from_numpy(X).to(device)
        self.y_all = T.from_numpy(numpy.asarray(y, numpy.int64)).to(device)

    def epoch(self, batch_size, seed):
        """Train one epoch; return (seconds, last loss)."""
        start = time.perf_counter()
        for index in _batches(len(self.X), batch_size, seed):
            loss = self.step(index)
        value = loss.item()  # waits for a GPU's queued work, so the time includes it
        return time.perf_counter() - start, value

    def step(self, index):
        """One training step on the samples at host ``index``: the five lines; return the loss."""
        index = self.T.from_numpy(index).to(self.device)
        inputs, target = self.X_all[index], self.y_all[index]
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(inputs), target.reshape(-1))
        loss.backward()
        self.optimizer.step()
        return loss


def run(model="mlp", hidden=None, batch_size=None, epochs=3, samples=None, device="cpu"):
    """Time both libraries on ``model``, epochs alternating; return a result dict.

    ``device="cuda"``: tinyopt on CuPy (``model.to("cuda")``) against PyTorch
    on CUDA when a CUDA build of torch is installed (else tinyopt alone);
    without CuPy or a GPU, ``RuntimeError`` saying which is missing.
    """
    import tinyopt
    from ..threads import set_threads
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    if device == "cuda":
        tinyopt.backend.require_cuda()  # one clear error without CuPy or a GPU
    workload = WORKLOADS[model]
    hidden = hidden or (256 if model == "mlp" else 64)
    batch_size = batch_size or workload.batch_size
    X, y = workload.make_data(samples or workload.samples)
    threads = set_threads()  # before torch loads its OpenMP runtime (OMP_WAIT_POLICY)
    try:
        import torch
    except ImportError:
        torch = None
    else:
        threads = set_threads(torch=torch)  # now sized too
        if device == "cuda" and not torch.cuda.is_available():
            torch = None  # a CPU build: no like-for-like reference on the GPU
    trainers = {"tinyopt": _Trainer(tinyopt, workload, X, y, hidden, device=device)}
    if torch is not None:
        trainers["torch"] = _Trainer(torch, workload, X, y, hidden, device=device)
    times = {name: [] for name in trainers}
    losses = {}
    for epoch in range(epochs + 1):  # epoch 0 warms up (compiles, caches)
        for name, trainer in trainers.items():
            seconds, losses[name] = trainer.epoch(batch_size, epoch)
            if epoch:
                times[name].append(seconds)
    result = _summary(model, device, len(X), hidden, batch_size, threads, times, losses)
    return result, trainers["tinyopt"]


def run_isolated(model="mlp", hidden=None, batch_size=None, epochs=3, samples=None,
                 rounds=isolated.ROUNDS):
    """``run``'s result dict, each library timed in processes of its own (``bench.isolated``)."""
    import importlib.util
    from ..threads import set_threads
    workload = WORKLOADS[model]
    hidden = hidden or (256 if model == "mlp" else 64)
    batch_size = batch_size or workload.batch_size
    libraries = ["tinyopt"] + (["torch"] if importlib.util.find_spec("torch") else [])
    timed = isolated.run(model, hidden, batch_size, epochs, samples, libraries, rounds)
    result = _summary(model, "cpu", timed["tinyopt"]["samples"], hidden, batch_size,
                      set_threads(), {name: r["seconds"] for name, r in timed.items()},
                      {name: r["final_loss"] for name, r in timed.items()})
    result["isolated"] = True
    return result


def _summary(model, device, samples, hidden, batch_size, threads, times, losses):
    """The result dict: the setting, and per library (``times``: its timed epochs in
    seconds, ``losses``: its last loss) the median ms per epoch; the ratio when both ran."""
    workload = WORKLOADS[model]
    result = {"model": model, "device": device, "describe": workload.describe, "samples": samples,
              "hidden": hidden, "batch_size": batch_size, "optimizer": workload.optimizer,
              "epochs_timed": len(times["tinyopt"]), "threads": threads}
    for name in times:
        result[f"{name}_ms_per_epoch"] = 1e3 * statistics.median(times[name])
        result[f"{name}_final_loss"] = losses[name]
    if "torch" in times:
        result["ratio_tinyopt_over_torch"] = (result["tinyopt_ms_per_epoch"]
                                              / result["torch_ms_per_epoch"])
    return result


def _profiled_trainer(result):
    """A tinyopt trainer in this process for ``result``'s workload (``--isolated --profile``)."""
    import tinyopt
    workload = WORKLOADS[result["model"]]
    X, y = workload.make_data(result["samples"])
    return _Trainer(tinyopt, workload, X, y, result["hidden"])


def _threads_text(threads):
    if threads["threads"] is None:
        return "thread pools left as they were (TINYOPT_NUM_THREADS=off)"
    return f"{threads['threads']} threads per pool"


def add_arguments(parser):
    """The command-line options of this benchmark (counts are positive ints: else exit 2)."""
    from ..cli.common import positive_int
    parser.add_argument("--model", choices=sorted(WORKLOADS), default="mlp",
                        help="the workload (default mlp)")
    parser.add_argument("--hidden", type=positive_int, default=None,
                        help="hidden width (default 256 for mlp, else 64)")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help="batch size (default 32 for mlp, else 64)")
    parser.add_argument("--epochs", type=positive_int, default=3, help="timed epochs (default 3)")
    parser.add_argument("--samples", type=positive_int, default=None,
                        help="use only this many samples")
    parser.add_argument("--profile", action="store_true",
                        help="then print tinyopt's slowest ops, forward and backward apart")
    parser.add_argument("--memory", action="store_true",
                        help="also measure the peak extra memory of one training step, each "
                             "library in a fresh process: RSS growth for both, tracemalloc for "
                             "tinyopt (see bench.memory)")
    parser.add_argument("--isolated", action="store_true",
                        help="time each library in fresh processes of its own, alternating "
                             "(PyTorch with OpenMP's defaults, not the shared thread setting; "
                             "see bench.isolated)")
    parser.add_argument("--rounds", type=positive_int, default=None,
                        help=f"with --isolated: processes per library, alternating (default "
                             f"{isolated.ROUNDS}; more on a noisy machine)")
    parser.add_argument("--backend", choices=("cpu", "cupy"), default="cpu",
                        help="cpu (default), or cupy: tinyopt on the GPU vs PyTorch on CUDA")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def main(args):
    """Run the benchmark with parsed ``args`` and print a table (or JSON)."""
    device = "cuda" if args.backend == "cupy" else "cpu"
    if args.memory and device == "cuda":
        from ..cli.common import UsageError
        raise UsageError("--memory measures host memory (RSS, tracemalloc): use it with "
                         "--backend cpu")
    if args.rounds is not None and not args.isolated:
        from ..cli.common import UsageError
        raise UsageError("--rounds counts the processes of --isolated: add --isolated")
    if args.isolated and device == "cuda":
        from ..cli.common import UsageError
        raise UsageError("--isolated compares CPU thread settings: use it with --backend cpu")
    if device == "cuda":
        from .. import backend
        from ..cli.common import CommandError
        try:
            backend.require_cuda()
        except RuntimeError as error:  # no CuPy, or no GPU: say which, one line
            raise CommandError(str(error)) from None
    if args.isolated:
        result = run_isolated(args.model, args.hidden, args.batch_size, args.epochs,
                              args.samples, args.rounds or isolated.ROUNDS)
        trainer = _profiled_trainer(result) if args.profile else None
    else:
        result, trainer = run(args.model, args.hidden, args.batch_size, args.epochs,
                              args.samples, device)
    if args.profile:
        from ..autograd.profiler import profile
        with profile() as report:
            trainer.epoch(result["batch_size"], seed=0)
        result["profile"] = report.rows()
    if args.memory:
        from .memory import measure
        result["memory"] = measure(args.model, result["samples"], result["batch_size"],
                                   result["hidden"])
    if args.json:
        print(json.dumps(result, indent=2))
        return
    where = "on the GPU (cupy / torch cuda)" if device == "cuda" else \
        _threads_text(result["threads"])
    if args.isolated:
        rounds = args.rounds or isolated.ROUNDS
        where += (f", each library in processes of its own (rounds: {rounds}, alternating; "
                  "PyTorch with OpenMP's defaults)")
    print(f"one epoch: {result['describe']} ({result['samples']} samples), batch "
          f"{result['batch_size']}, {result['optimizer']}, float32, {where}")
    print(f"  tinyopt  {result['tinyopt_ms_per_epoch']:8.1f} ms/epoch")
    if "torch_ms_per_epoch" in result:
        print(f"  pytorch  {result['torch_ms_per_epoch']:8.1f} ms/epoch")
        print(f"  ratio tinyopt / pytorch = {result['ratio_tinyopt_over_torch']:.2f}x")
    else:
        print("  pytorch  not installed (pip install 'tinyopt[torch]') - no ratio"
              if device == "cpu" else "  pytorch  no CUDA build of torch installed - no ratio")
    if args.memory:
        from .memory import format_lines
        print("\n".join(format_lines(result["memory"])))
    if args.profile:
        print(report.table())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    main(parser.parse_args())
