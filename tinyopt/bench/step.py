"""Benchmark: one optimizer step, readable NumPy vs fused numba vs PyTorch, vs bandwidth probes.

An optimizer step is memory-bound: AdamW must read p, g, m, v and write p,
m, v, 28 bytes per float32 parameter, and nothing more. For one optimizer
and size (default AdamW, 10M float32 parameters, as one tensor or as
tensors of 10k) this prints, measured in the same run with steps of all
implementations alternating in blocks (the median after warm-up):

- ms per step: tinyopt's numpy reference, tinyopt's numba executor, and
  PyTorch's ``foreach`` and ``fused`` implementations when torch is installed
  (``torch.set_num_threads``: the count of ``tinyopt.threads``, all cores by default);
- effective GB/s: the bytes the rule must move (``bytes_moved_per_param``,
  from the state's real size, so 8-bit codes count one byte) / time;
- the fraction of two probes each step reaches (see ``probes``): a trivial
  loop with the same traffic (the floor) and ``a += s*b`` in place;
- compile time of the numba loop: cold (fresh cache) and cached (a second
  process), each measured in a subprocess.

Every optimizer of the zoo is registered in ``OPTIMIZERS``; Adafactor steps
near-square matrices, since factoring them is its point.

Run it with ``tinyopt bench step`` or ``python -m tinyopt.bench.step``;
``--quick`` is a small, fast run.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy

from ..threads import set_threads, thread_count
from . import subprocess_environment

OPTIMIZERS = {
    "adamw": ("AdamW", dict(lr=1e-3)), "adam": ("Adam", dict(lr=1e-3)),
    "sgd": ("SGD", dict(lr=1e-2, momentum=0.9)), "adagrad": ("Adagrad", dict(lr=1e-2)),
    "rmsprop": ("RMSprop", dict(lr=1e-2)), "adadelta": ("Adadelta", dict(lr=1.0)),
    "adamax": ("Adamax", dict(lr=2e-3)), "nadam": ("NAdam", dict(lr=2e-3)),
    "radam": ("RAdam", dict(lr=1e-3)), "rprop": ("Rprop", dict(lr=1e-2)),
    "asgd": ("ASGD", dict(lr=1e-2)), "lion": ("Lion", dict(lr=1e-4)),
    "lars": ("LARS", dict(lr=1e-2)), "lamb": ("LAMB", dict(lr=1e-3)),
    "adafactor": ("Adafactor", {}), "adam8bit": ("Adam8bit", dict(lr=1e-3)),
    "adamw8bit": ("AdamW8bit", dict(lr=1e-3)), "lion8bit": ("Lion8bit", dict(lr=1e-4)),
}
"""Benchmark name -> (class name in tinyopt.optim, options). The torch rows use
``torch.optim``'s class of the same name with the same options, when it has one
(Adafactor's defaults are the same relative step there)."""

TENSOR_SIZE_MANY = 10_000
"""Elements per tensor in the ``many`` layout (10M parameters = 1,000 tensors)."""


def tensor_sizes(params, layout):
    """Sizes of the tensors: one of ``params``, or tensors of 10k (the last takes the rest)."""
    if layout == "single":
        return [params]
    count, rest = divmod(params, TENSOR_SIZE_MANY)
    return [TENSOR_SIZE_MANY] * count + ([rest] if rest else [])


def tensor_shape(name, size):
    """The shape a tensor of ``size`` elements gets: a near-square matrix for Adafactor.

    Adafactor factors the second moment of matrices only, which is the case
    worth timing; every other optimizer is elementwise and gets a vector.
    """
    if name != "adafactor":
        return (size,)
    rows = max(d for d in range(1, math.isqrt(size) + 1) if size % d == 0)
    return (rows, size // rows)


def _tinyopt_step(name, values, grads, executor):
    from .. import optim
    from ..nn import Parameter
    class_name, options = OPTIMIZERS[name]
    params = [Parameter(value.copy()) for value in values]
    for param, grad in zip(params, grads):
        param.grad = grad.copy()
    optimizer = getattr(optim, class_name)(params, **options)
    optimizer.executor = executor
    return optimizer.step, optimizer


def _torch_step(name, values, grads, mode):
    """A step function of torch.optim with ``foreach=True`` or ``fused=True``, or None."""
    import torch
    class_name, options = OPTIMIZERS[name]
    torch_class = getattr(torch.optim, class_name, None)
    if torch_class is None:  # e.g. Lion: not in PyTorch
        return None
    params = [torch.tensor(value.copy(), requires_grad=True) for value in values]
    for param, grad in zip(params, grads):
        param.grad = torch.from_numpy(grad.copy())
    try:
        optimizer = torch_class(params, **options, **{mode: True})
        optimizer.step()
    except (RuntimeError, TypeError, ValueError):  # no such variant of this optimizer on CPU
        return None
    return optimizer.step


def bytes_moved_per_param(optimizer):
    """Bytes one step must move per parameter: p read and written, g read, state read and written.

    The state's share comes from ``optimizer.state_bytes()``, so 8-bit codes
    count one byte and Adafactor's row and column averages almost nothing.
    Reductions a rule needs (LAMB's and LARS's norms, Adafactor's means) are
    extra passes not counted here: for those the floor is out of reach.
    """
    params = [p for group in optimizer.param_groups for p in group["params"]]
    elements = sum(p.array.size for p in params)
    itemsize = params[0].array.dtype.itemsize
    return 3 * itemsize + 2 * optimizer.state_bytes() / elements


def measure(name="adamw", params=10_000_000, layout="single", repeat=20, dtype="float32",
            warmup=2):
    """Time every implementation in alternating blocks; return a result dict (ms, GB/s, ...)."""
    from . import probes
    from ..kernels import numba_executor
    dtype = numpy.dtype(dtype)
    rng = numpy.random.default_rng(0)
    sizes = tensor_sizes(params, layout)
    shapes = [tensor_shape(name, size) for size in sizes]
    values = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    grads = [rng.standard_normal(shape).astype(dtype) for shape in shapes]

    loads_before = len(numba_executor.kernel_loads)
    steps = {}
    steps["numpy"], _ = _tinyopt_step(name, values, grads, "numpy")
    steps["numba"], numba_optimizer = _tinyopt_step(name, values, grads, "numba")
    numba_optimizer.step()
    loads = numba_executor.kernel_loads[loads_before:]
    bytes_per_param = bytes_moved_per_param(numba_optimizer)
    torch_threads = None
    try:
        import torch
        torch_threads = thread_count() or os.cpu_count()
        torch.set_num_threads(torch_threads)
        for mode in ("foreach", "fused"):
            step = _torch_step(name, values, grads, mode)
            if step is not None:
                steps[f"torch {mode}"] = step
    except ImportError:
        pass
    del values, grads
    # The floor: the float arrays whose reads come closest to the step's (2 to 5 of them).
    read_bytes = bytes_per_param - dtype.itemsize - numba_optimizer.state_bytes() / params
    floor_count = min(5, max(2, round(read_bytes / dtype.itemsize)))
    floor_arrays = probes.scratch_arrays(floor_count, params, dtype)
    steps["same-traffic floor"] = lambda: probes.same_traffic(floor_arrays)
    axpy_arrays = probes.scratch_arrays(2, params, dtype)
    steps["in-place a += s*b"] = lambda: probes.in_place_update(*axpy_arrays)

    times = _time_in_blocks(steps, repeat, warmup)

    moved = {label: bytes_per_param for label in steps}
    moved["same-traffic floor"] = (2 * floor_count - 1) * dtype.itemsize  # g is not written
    moved["in-place a += s*b"] = 3 * dtype.itemsize
    rows = {}
    for label, samples in times.items():
        seconds = statistics.median(samples)
        rows[label] = {"ms": 1e3 * seconds, "gb_per_s": moved[label] * params / seconds / 1e9}
    for row in rows.values():
        row["of_floor"] = row["gb_per_s"] / rows["same-traffic floor"]["gb_per_s"]
        row["of_in_place"] = row["gb_per_s"] / rows["in-place a += s*b"]["gb_per_s"]
    return {"optimizer": name, "params": params, "layout": layout, "tensors": len(sizes),
            "dtype": dtype.name, "repeat": repeat, "bytes_per_param": bytes_per_param,
            "cores": os.cpu_count(), "torch_threads": torch_threads, "rows": rows,
            "first_step_loads_in_this_run": [load._asdict() for load in loads]}


def _time_in_blocks(steps, repeat, warmup, rounds=3):
    """Seconds of each timed step: implementations alternate in blocks, ``rounds`` times.

    Steps of one implementation run back to back within a block, and each
    block's first steps are not timed: torch's and numba's OpenMP thread pools
    spin for a while after a parallel region, and would slow the other one
    down if steps alternated one by one.
    """
    times = {label: [] for label in steps}
    per_block = -(-repeat // rounds)
    for _ in range(rounds):
        for label, step in steps.items():
            for number in range(warmup + per_block):
                start = time.perf_counter()
                step()
                if number >= warmup:
                    times[label].append(time.perf_counter() - start)
    return times


def first_step_loads(name, size, dtype="float32"):
    """``KernelLoad``s (as dicts) of a numba optimizer's first step on one tensor of ``size``."""
    from ..kernels import numba_executor
    value = numpy.ones(tensor_shape(name, size), dtype=dtype)
    before = len(numba_executor.kernel_loads)
    step, _ = _tinyopt_step(name, [value], [value], "numba")
    step()
    return [load._asdict() for load in numba_executor.kernel_loads[before:]]


def compile_times(name, params=10_000_000, dtype="float32"):
    """Seconds of the numba loop's first call: cold (empty cache) and cached (second process).

    Both run in fresh subprocesses sharing a new temporary ``NUMBA_CACHE_DIR``,
    on a tensor large enough for the loop ``params`` parameters use (serial
    below ``PARALLEL_MIN_SIZE``, parallel from there).
    """
    from ..kernels.numba_executor import PARALLEL_MIN_SIZE
    size = min(params, PARALLEL_MIN_SIZE)
    script = ("import json; from tinyopt.bench.step import first_step_loads;"
              f"print(json.dumps(first_step_loads({name!r}, {size}, {dtype!r})))")
    results = {}
    with tempfile.TemporaryDirectory() as cache:
        env = subprocess_environment(NUMBA_CACHE_DIR=cache)
        env.pop("NUMBA_DISABLE_JIT", None)
        for label in ("cold", "cached"):
            output = subprocess.run([sys.executable, "-c", script], env=env, check=True,
                                    capture_output=True, text=True).stdout
            loads = json.loads(output.strip().splitlines()[-1])
            results[label] = {"seconds": sum(load["seconds"] for load in loads),
                              "from_cache": all(load["from_cache"] for load in loads)}
    return results


def run(name="adamw", params=10_000_000, layout="single", repeat=20, compile=True):
    """The whole benchmark as a dict (``measure`` plus ``compile_times`` when asked)."""
    result = measure(name, params, layout, repeat)
    if compile:
        result["compile"] = compile_times(name, params)
    return result


def format_table(result):
    """The result as the table ``tinyopt bench step`` prints."""
    lines = [f"{result['optimizer']} step, {result['params']:,} {result['dtype']} parameters as "
             f"{result['tensors']:,} tensor(s) ({result['layout']}), {result['bytes_per_param']:.4g} "
             f"bytes/param moved, {result['cores']} cores, median of {result['repeat']}",
             f"  {'implementation':<22}{'ms/step':>10}{'GB/s':>8}{'of floor':>10}"
             f"{'of a+=s*b':>11}{'vs numpy':>10}"]
    numpy_ms = result["rows"]["numpy"]["ms"]
    for label, row in result["rows"].items():
        lines.append(f"  {label:<22}{row['ms']:>10.2f}{row['gb_per_s']:>8.1f}"
                     f"{row['of_floor']:>10.0%}{row['of_in_place']:>11.0%}"
                     f"{numpy_ms / row['ms']:>9.1f}x")
    if "compile" in result:
        cold, cached = result["compile"]["cold"], result["compile"]["cached"]
        lines.append(f"  numba compile (first step): cold {cold['seconds']:.2f} s, cached "
                     f"{cached['seconds']:.3f} s (from cache: {cached['from_cache']})")
    if not any(label.startswith("torch") for label in result["rows"]):
        lines.append("  pytorch not installed (pip install 'tinyopt[torch]'): no torch rows")
    return "\n".join(lines)


def add_arguments(parser):
    """The command-line options of this benchmark (counts are positive ints: else exit 2)."""
    from ..cli.common import positive_int
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adamw",
                        help="optimizer to step (default adamw; sgd has momentum 0.9)")
    parser.add_argument("--params", type=positive_int, default=10_000_000,
                        help="number of float32 parameters (default 10,000,000)")
    parser.add_argument("--layout", choices=("single", "many"), default="single",
                        help=f"one tensor, or tensors of {TENSOR_SIZE_MANY:,} (default single)")
    parser.add_argument("--repeat", type=positive_int, default=20,
                        help="timed steps (default 20)")
    parser.add_argument("--quick", action="store_true",
                        help="small and fast: 100,000 parameters, 5 steps, no compile column")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--backend", choices=("cpu", "cupy"), default="cpu",
                        help="cpu (default), or cupy: the GPU kernel vs torch's fused CUDA step "
                             "and a device copy (needs CuPy and a GPU; see bench.gpu_step)")


def main(args):
    """Run the benchmark with parsed ``args`` and print a table (or JSON)."""
    # Both torch and numba run OpenMP thread pools; spinning idle threads of one would
    # steal the cores from the other. Set before either pool starts (a CLI run).
    set_threads()
    if args.quick:
        args.params, args.repeat = min(args.params, 100_000), min(args.repeat, 5)
    if getattr(args, "backend", "cpu") == "cupy":
        from ..cli.common import CommandError
        from .gpu_step import format_gpu_table, measure_on_gpu
        try:
            result = measure_on_gpu(args.optimizer, args.params, args.layout, args.repeat)
        except RuntimeError as error:  # no CuPy, or no GPU: say which, one line
            raise CommandError(str(error)) from None
        print(json.dumps(result, indent=2) if args.json else format_gpu_table(result))
        return
    result = run(args.optimizer, args.params, args.layout, args.repeat, compile=not args.quick)
    print(json.dumps(result, indent=2) if args.json else format_table(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    main(parser.parse_args())
