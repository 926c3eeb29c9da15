"""Benchmark: peak memory of one training step, tinyopt vs PyTorch, each in a process of its own.

``tinyopt bench train --memory`` adds this to the epoch timing. Each library
runs in a fresh Python process (``python -m tinyopt.bench.memory``), so the
other library's arrays, caches and thread pools do not count. There the
workload's model, optimizer and data are built, one training step runs as
warm-up (kernels compiled, optimizer state and thread pools created), and
then the *extra* memory of one step (zero_grad, forward, loss, backward,
optimizer step) on the first batch is measured, two ways:

- **RSS growth**, for both libraries (PyTorch's allocator is invisible to
  tracemalloc, so this is the like-with-like comparison). Freed heap memory
  is first handed back to the system (glibc's ``malloc_trim(0)``; otherwise
  the warm-up step's freed blocks would be reused unseen), the resident set
  ``r0 = VmRSS`` read, the kernel's peak mark reset (writing ``5`` to
  ``/proc/self/clear_refs`` sets ``VmHWM`` to the current RSS), the step run,
  and the growth is ``VmHWM - r0``: every page the step touched beyond what
  was resident, at the worst moment. Linux only; elsewhere it is None.
- **tracemalloc peak**, for tinyopt: NumPy reports its array buffers to
  ``tracemalloc``, so ``peak - current`` at the start, over the step, counts
  the bytes of the arrays the step allocated and still held at its worst
  moment, page-exact or not. Arrays freed during the step that were made
  before it (last step's gradients) are not subtracted, so it may exceed the
  RSS figure by that much; tracing is on only for this measurement, never
  during the RSS one (its own bookkeeping would count).

Each figure is the median over ``repeat`` steps (after the warm-up). The
ratio tinyopt / PyTorch is of the RSS growths.
"""
import argparse
import importlib.util
import json
import statistics
import sys
import tracemalloc

from ..allocator import release_free_heap
from . import run_json_worker

LIBRARIES = ("tinyopt", "torch")


def _status_kib(field):
    """A line of ``/proc/self/status`` (``VmRSS``, ``VmHWM``) in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name == field:
                return int(value.split()[0])
    raise KeyError(field)


def rss_growth(step):
    """Bytes of resident memory ``step()`` added at its peak (``VmHWM`` after a reset, Linux).

    None where ``/proc/self/clear_refs`` cannot reset the peak (not Linux).
    """
    release_free_heap()  # else the warm-up step's freed blocks would be reused unseen
    try:
        before = _status_kib("VmRSS")
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # VmHWM := VmRSS
    except OSError:
        return None
    step()
    return 1024 * (_status_kib("VmHWM") - before)


def traced_peak(step):
    """Bytes that allocations traced by ``tracemalloc`` (NumPy's arrays) held at ``step()``'s peak."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        step()
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


def measure_here(library, model, samples=None, batch_size=None, hidden=None, repeat=3):
    """Peak extra memory of one training step of ``library`` in *this* process (a dict of bytes)."""
    from ..threads import set_threads
    from .train import _batches, _Trainer
    from .workloads import WORKLOADS
    if library not in LIBRARIES:
        raise ValueError(f"library must be one of {LIBRARIES}, got {library!r}")
    if not isinstance(repeat, int) or repeat <= 0:
        raise ValueError(f"repeat must be a positive int, got {repeat!r}")
    set_threads()  # before the library starts its thread pools
    T = importlib.import_module(library)
    if library == "torch":
        set_threads(torch=T)
    workload = WORKLOADS[model]
    X, y = workload.make_data(samples or workload.samples)
    trainer = _Trainer(T, workload, X, y, hidden or (256 if model == "mlp" else 64))
    batch = _batches(len(X), batch_size or workload.batch_size, seed=0)[0]
    step = lambda: trainer.step(batch)  # noqa: E731 - the thing measured
    step()  # warm-up: compiled kernels, optimizer state, thread pools
    result = {"library": library, "model": model, "batch_size": len(batch),
              "rss_bytes": _median([rss_growth(step) for _ in range(repeat)])}
    if library == "tinyopt":
        result["tracemalloc_bytes"] = statistics.median(traced_peak(step) for _ in range(repeat))
    return result


def _median(values):
    return None if None in values else statistics.median(values)


def measure(model="cnn", samples=None, batch_size=None, hidden=None, repeat=3):
    """``measure_here`` for each installed library, each in a fresh subprocess; a result dict.

    Keys: ``tinyopt`` and (when PyTorch is installed) ``torch``, each
    ``measure_here``'s dict, and ``ratio_rss_tinyopt_over_torch``.
    """
    result = {}
    for library in LIBRARIES:
        if library == "torch" and importlib.util.find_spec("torch") is None:
            continue
        command = [sys.executable, "-m", "tinyopt.bench.memory", "--library", library,
                   "--model", model, "--repeat", str(repeat)]
        for option, value in (("--samples", samples), ("--batch-size", batch_size),
                              ("--hidden", hidden)):
            if value is not None:
                command += [option, str(value)]
        result[library] = run_json_worker(command, f"{library} memory measurement")
    if "torch" in result and result["tinyopt"]["rss_bytes"] and result["torch"]["rss_bytes"]:
        result["ratio_rss_tinyopt_over_torch"] = (result["tinyopt"]["rss_bytes"]
                                                  / result["torch"]["rss_bytes"])
    return result


def format_lines(memory):
    """The lines ``tinyopt bench train --memory`` prints for ``measure``'s result."""
    def mib(value):
        return "n/a (needs Linux)" if value is None else f"{value / 2**20:8.2f} MiB"
    ours = memory["tinyopt"]
    lines = ["peak extra memory of one training step (each library in its own process):",
             f"  tinyopt  RSS {mib(ours['rss_bytes'])}   tracemalloc "
             f"{mib(ours['tracemalloc_bytes']).strip()}"]
    if "torch" in memory:
        lines.append(f"  pytorch  RSS {mib(memory['torch']['rss_bytes'])}")
    if "ratio_rss_tinyopt_over_torch" in memory:
        lines.append(f"  ratio tinyopt / pytorch (RSS) = "
                     f"{memory['ratio_rss_tinyopt_over_torch']:.2f}x")
    return lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", choices=LIBRARIES, required=True)
    parser.add_argument("--model", default="cnn")
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--hidden", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure_here(args.library, args.model, args.samples, args.batch_size,
                                  args.hidden, args.repeat)))
