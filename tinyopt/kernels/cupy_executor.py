"""The CuPy executor: each update rule becomes one fused GPU kernel, generated from its source.

The rule written once beside its optimizer is read (``rule_form``), written
out as CUDA (``cuda_source``) and compiled by CuPy into one
``cupy.ElementwiseKernel`` per (rule, dtype, kept arrays, bool scalars),
cached for the process (CuPy also caches the compiled binary on disk). As
numba's loop, a step launches it once per parameter group over the group's
flat buffers (``run_flat``); each element finds its parameter's row of
scalars with a binary search over the segment bounds, so one launch covers
a thousand parameters with different step counts. The scalar table and the
bounds are a few hundred bytes copied to the device per step; nothing comes
back to the host. Scalars computed on the device (trust ratios, norms) stay
there: their table is assembled on the device (``scalar_table``).

Two entry points, as every executor:

- ``run(rule, updates)``: one launch per parameter, on its arrays as they are
  (CuPy's elementwise kernels take any strides, so no contiguous copy);
- ``run_flat(rule, arrays, starts, stops, table, flags)``: one launch per group.

Arrays that are not float32/float64, or of mixed dtypes, run on the NumPy
reference executor (which calls the rule on whole CuPy arrays: several
kernels, same numbers).

``CupyExecutor(emulate=True)`` swaps every CUDA kernel for its
``kernel_twin.KernelTwin``, built from the same form and called with the
same arguments: that is how CPU-only CI checks the executor (segments,
scalar tables, kept arrays, in-place writes) and the kernels' arithmetic
against the NumPy reference.

Honest status: the CUDA path itself (``emulate=False``) has not run on a
GPU in tinyopt's CI. The C text is compiled and run as C++ on the CPU by the
tests, and ``tests/test_cupy_gpu.py`` holds it to the NumPy reference where
CuPy and a GPU exist.
"""
import numpy

from .. import backend
from .cuda_source import C_TYPES, kernel_source
from .kernel_twin import KernelTwin
from .numpy_executor import compiled_updates
from .rule_form import read_rule
from .scalar_table import is_on_device

_kernels = {}
"""(rule, dtype name, kept, flags, emulate) -> the compiled kernel (or its twin)."""


class CupyExecutor:
    """Run an update rule as one generated GPU kernel (same interface as ``NumpyExecutor``).

    Args:
        emulate: use the kernels' CPU twins instead of CUDA (tests, no GPU needed);
            always so on the strict backend, the CPU stand-in for CuPy.

    Raises ``RuntimeError`` (from ``backend.require_cuda``) without ``emulate``
    when CuPy or a GPU is missing, saying which and how to install.
    """

    name = "cupy"

    def __init__(self, emulate=False):
        emulate = bool(emulate) or backend.xp.__name__ == "tinyopt.strict"
        if not emulate:
            backend.require_cuda()
        self.emulate = emulate
        self._device_bounds = {}

    def run(self, rule, updates):
        """Apply ``rule`` to every ``(arrays, scalars)`` update, one launch per parameter."""
        for arrays, table, flags in compiled_updates(rule, updates, _compilable):
            bounds = _to_device(numpy.array([0]), numpy.array([arrays[0].size]))
            self._launch(rule, arrays, bounds, table, flags)

    def run_flat(self, rule, arrays, starts, stops, table, flags):
        """Apply ``rule`` to segments ``[starts[k], stops[k])`` of flat 1-D ``arrays``.

        The arguments are those of ``NumbaExecutor.run_flat``: device arrays
        ``[param, grad, *state]`` (``None`` for a state array not kept), host
        int64 ``starts``/``stops`` and a ``table`` of one row of scalars per
        segment (on the host, or on the device when it holds device scalars).
        One launch spans ``[starts[0], stops[-1])``.
        """
        if len(starts) == 0:
            return
        if not _compilable(arrays):
            raise TypeError(f"run_flat needs float32 or float64 arrays of one dtype, got "
                            f"{[None if a is None else a.dtype for a in arrays]}")
        first, end = int(starts[0]), int(stops[-1])
        spans = [None if a is None else a[first:end] for a in arrays]
        self._launch(rule, spans, self._bounds_on_device(starts, stops, first), table, flags)

    def _launch(self, rule, arrays, bounds, table, flags):
        """One kernel call; ``bounds`` are the device ``(starts, stops)`` within ``arrays``."""
        kept = tuple(a is not None for a in arrays)
        dtype = arrays[0].dtype
        kernel = self.kernel(rule, dtype, kept, flags)
        device_starts, device_stops = bounds
        if not is_on_device(table):  # a table holding device scalars is there already
            table = backend.to_device(numpy.ascontiguousarray(table, dtype=dtype))
        device_table = table.ravel()
        inputs = [arrays[1]] if kept[1] else []
        outputs = [a for j, a in enumerate(arrays) if j != 1 and a is not None]
        kernel(*inputs, device_table, device_starts, device_stops, numpy.int64(len(device_starts)),
               *outputs)

    def kernel(self, rule, dtype, kept, flags):
        """The cached kernel (or twin) of ``rule`` for ``dtype``, ``kept`` arrays and ``flags``."""
        dtype_name = numpy.dtype(dtype).name
        key = (rule, dtype_name, tuple(kept), tuple(flags), self.emulate)
        if key not in _kernels:
            form = read_rule(rule, kept, flags)
            if self.emulate:
                _kernels[key] = KernelTwin(form, dtype_name)
            else:
                import cupy
                source = kernel_source(form, dtype_name)
                _kernels[key] = cupy.ElementwiseKernel(
                    source.in_params, source.out_params, source.operation, source.name,
                    preamble=source.preamble)
        return _kernels[key]

    def _bounds_on_device(self, starts, stops, first):
        """``starts - first``, ``stops - first`` on the device; the same host arrays (a flat
        group's cached bounds, reused while the parameters with a gradient stay the same)
        are uploaded once."""
        cached = self._device_bounds.get(id(starts))
        if cached is not None and cached[0] is starts and cached[1] is stops:
            return cached[2]
        on_device = _to_device(starts - first, stops - first)
        if len(self._device_bounds) > 64:  # forget bounds of groups that were re-packed
            self._device_bounds.clear()
        self._device_bounds[id(starts)] = (starts, stops, on_device)
        return on_device


def _to_device(starts, stops):
    return (backend.to_device(numpy.asarray(starts, dtype=numpy.int64)),
            backend.to_device(numpy.asarray(stops, dtype=numpy.int64)))


def _compilable(arrays):
    dtype = arrays[0].dtype
    return dtype.name in C_TYPES and all(a is None or a.dtype == dtype for a in arrays)
