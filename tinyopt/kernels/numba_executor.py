"""The numba executor: every element of every parameter updated in one compiled, parallel loop.

The optimizer's rule is compiled unchanged (see ``scalar_rule`` and
``loop_kernel``) into one loop that reads each array once and writes each
result once: no temporaries, so a step moves only the bytes the rule needs
(AdamW: 28 per float32 parameter) and runs near memory bandwidth.

Two entry points:

- ``run(rule, updates)``, the interface every executor shares: one loop
  call per parameter (a non-contiguous parameter goes through a contiguous
  copy and back);
- ``run_flat(rule, arrays, starts, stops, table, flags)``: the optimizer packs a
  group into flat buffers (``tinyopt.optim.flat_buffers``) and one call
  updates every parameter of the group, each segment with its own row of
  scalars.

A call over at least ``PARALLEL_MIN_SIZE`` elements runs on all cores; a
smaller one (a small model's whole group) runs the serial twin of the loop,
since waking the threads would cost more than the update itself.

Only float32 and float64 are compiled; other dtypes (float16) and mixed
dtypes run on the NumPy reference. numba is imported on first use, never
when tinyopt is imported. Set ``NUMBA_DISABLE_JIT=1`` to run the very same
loop as Python and step through a rule in a debugger.
"""
import time
from collections import namedtuple

import numpy

from .numpy_executor import compiled_updates

PARALLEL_MIN_SIZE = 1 << 18
"""Calls spanning fewer elements run the serial loop: starting threads would cost more."""

KernelLoad = namedtuple("KernelLoad", "rule dtype kept flags parallel seconds from_cache")
KernelLoad.__doc__ = """First call of one compiled loop: how long it took and whether numba's disk
cache supplied it (``from_cache``; None when that is unknown, e.g. JIT disabled)."""

_COMPILED_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))
_kernels = {}
kernel_loads = []
"""Every ``KernelLoad`` of this process, in order: what the benchmark's compile column shows."""


class NumbaExecutor:
    """Run an update rule as one fused numba loop (same interface as ``NumpyExecutor``)."""

    name = "numba"

    def run(self, rule, updates):
        """Apply ``rule`` to every ``(arrays, scalars)`` update, one loop call per parameter."""
        for arrays, table, flags in compiled_updates(rule, updates, _compilable):
            flat = [None if a is None else _flat_view_or_copy(a) for a in arrays]
            bounds = numpy.array([0]), numpy.array([arrays[0].size])
            self.run_flat(rule, flat, *bounds, table, flags)
            for j in (0, *range(2, len(arrays))):  # param and state; the gradient is read only
                if arrays[j] is not None and not arrays[j].flags.c_contiguous:
                    arrays[j][...] = flat[j].reshape(arrays[j].shape)

    def run_flat(self, rule, arrays, starts, stops, table, flags):
        """Apply ``rule`` to segments ``[starts[k], stops[k])`` of flat 1-D ``arrays``.

        ``arrays = [param, grad, *state]`` are contiguous, of one dtype
        (float32 or float64), ``None`` for a state array not kept; ``table``
        (that dtype, one row per segment) holds each segment's scalars, and
        ``flags[n]`` says whether scalar n is a bool (``where`` conditions);
        ``starts``/``stops`` are int64 and increasing. Spans of at least
        ``PARALLEL_MIN_SIZE`` elements run on all cores, smaller ones serially.
        """
        if len(starts) == 0:
            return
        kept = tuple(a is not None for a in arrays)
        dtype = arrays[0].dtype
        parallel = bool(stops[-1] - starts[0] >= PARALLEL_MIN_SIZE)
        kernel = self._kernel(rule, kept, flags, dtype, parallel)
        present = [a for a in arrays if a is not None]
        if kernel.first_call:
            kernel.first_call = False
            hits_before = _cache_hits(kernel.dispatcher)
            start = time.perf_counter()
            kernel.dispatcher(starts, stops, table, *present)
            seconds = time.perf_counter() - start
            hits = _cache_hits(kernel.dispatcher)
            from_cache = None if hits is None else hits > hits_before
            kernel_loads.append(KernelLoad(rule.__name__, dtype.name, kept, flags, parallel,
                                           seconds, from_cache))
        else:
            kernel.dispatcher(starts, stops, table, *present)

    @staticmethod
    def _kernel(rule, kept, flags, dtype, parallel):
        key = (rule, kept, flags, dtype, parallel)
        if key not in _kernels:
            from .loop_kernel import load_loop_kernel
            _kernels[key] = _Kernel(load_loop_kernel(rule, kept, flags, dtype, parallel))
        return _kernels[key]


class _Kernel:
    """A loaded loop and whether its first (compiling or cache-loading) call is still to come."""

    def __init__(self, dispatcher):
        self.dispatcher = dispatcher
        self.first_call = True


def _compilable(arrays):
    dtype = arrays[0].dtype
    return dtype in _COMPILED_DTYPES and all(
        a is None or (isinstance(a, numpy.ndarray) and a.dtype == dtype) for a in arrays)


def _flat_view_or_copy(array):
    """A 1-D contiguous view of ``array``, or a contiguous copy when it has gaps."""
    return array.reshape(-1) if array.flags.c_contiguous else numpy.ascontiguousarray(array).ravel()


def _cache_hits(dispatcher):
    stats = getattr(dispatcher, "stats", None)
    return None if stats is None else sum(stats.cache_hits.values())
