"""Benchmark: one optimizer step on a GPU (``tinyopt bench step --backend cupy``).

The step of an elementwise optimizer is memory-bound, on a GPU even more so
than on a CPU, so its yardstick is the device's own copy: ``dst[...] = src``
between two device buffers, timed in the same run. For one optimizer (AdamW
by default) on ``params`` float32 parameters this reports, each the median
of ``repeat`` steps timed with CUDA events:

- ms per step and effective GB/s (``step.bytes_moved_per_param`` × params /
  time: 28 bytes per parameter for AdamW) of tinyopt's generated kernel;
- the same for PyTorch's ``fused=True`` AdamW on CUDA, when a CUDA build of
  torch is installed;
- each as a fraction of the device-to-device copy's GB/s (2 × bytes / time).

Not run in tinyopt's CI (no GPU there): the code path is written for CuPy's
documented API and is untested on hardware until someone runs it.
"""
import statistics

import numpy


def _cuda_milliseconds(cupy, step, repeat, warmup=3):
    """Median milliseconds of ``step()`` between CUDA events (the GPU's own clock)."""
    for _ in range(warmup):
        step()
    samples = []
    for _ in range(repeat):
        start, stop = cupy.cuda.Event(), cupy.cuda.Event()
        start.record()
        step()
        stop.record()
        stop.synchronize()
        samples.append(cupy.cuda.get_elapsed_time(start, stop))
    return statistics.median(samples)


def _torch_fused_step(name, values, grads):
    """``torch.optim.<name>(..., fused=True)`` on CUDA tensors, or None without CUDA torch."""
    try:
        import torch
    except ImportError:
        return None, None
    if not torch.cuda.is_available():
        return None, None
    from .step import OPTIMIZERS
    class_name, options = OPTIMIZERS[name]
    torch_class = getattr(torch.optim, class_name, None)
    if torch_class is None:
        return None, None
    params = [torch.tensor(v, device="cuda", requires_grad=True) for v in values]
    for param, grad in zip(params, grads):
        param.grad = torch.tensor(grad, device="cuda")
    try:
        optimizer = torch_class(params, **options, fused=True)
        optimizer.step()
    except (RuntimeError, TypeError, ValueError):
        return None, None
    return optimizer.step, torch


def measure_on_gpu(name="adamw", params=10_000_000, layout="single", repeat=20):
    """Time tinyopt's CUDA kernel, torch's fused step and a device copy; return a result dict."""
    from .. import backend, optim
    from ..kernels import CupyExecutor
    from ..nn import Parameter
    from .step import OPTIMIZERS, bytes_moved_per_param, tensor_shape, tensor_sizes
    cupy = backend.require_cuda()  # one clear error without CuPy or a GPU
    previous = {"tinyopt.strict": "strict"}.get(backend.xp.__name__, backend.xp.__name__)
    rng = numpy.random.default_rng(0)
    shapes = [tensor_shape(name, size) for size in tensor_sizes(params, layout)]
    values = [rng.standard_normal(s).astype(numpy.float32) for s in shapes]
    grads = [rng.standard_normal(s).astype(numpy.float32) for s in shapes]
    backend.set_backend("cupy")
    try:
        class_name, options = OPTIMIZERS[name]
        tensors = [Parameter(cupy.asarray(v)) for v in values]
        for tensor, grad in zip(tensors, grads):
            tensor.grad = cupy.asarray(grad)
        optimizer = getattr(optim, class_name)(tensors, **options)
        optimizer.executor = CupyExecutor()
        optimizer.step()
        moved = bytes_moved_per_param(optimizer) * params
        rows = {"tinyopt cupy": _cuda_milliseconds(cupy, optimizer.step, repeat)}
        torch_step, torch = _torch_fused_step(name, values, grads)
        if torch_step is not None:
            rows["torch fused (cuda)"] = _cuda_milliseconds(
                cupy, lambda: (torch_step(), torch.cuda.synchronize()), repeat)
        source = cupy.empty(params, dtype=cupy.float32)
        target = cupy.empty_like(source)
        copy_ms = _cuda_milliseconds(cupy, lambda: target.__setitem__(Ellipsis, source), repeat)
    finally:
        backend.set_backend(previous)
    copy_gb_per_s = 2 * source.nbytes / copy_ms / 1e6
    result = {"optimizer": name, "params": params, "layout": layout, "repeat": repeat,
              "device": cupy.cuda.runtime.getDeviceProperties(0)["name"].decode(),
              "bytes_per_param": moved / params,
              "device_copy": {"ms": copy_ms, "gb_per_s": copy_gb_per_s}, "rows": {}}
    for label, ms in rows.items():
        gb_per_s = moved / ms / 1e6
        result["rows"][label] = {"ms": ms, "gb_per_s": gb_per_s,
                                 "of_copy": gb_per_s / copy_gb_per_s}
    return result


def format_gpu_table(result):
    """The GPU result as the table ``tinyopt bench step --backend cupy`` prints."""
    copy = result["device_copy"]
    lines = [f"{result['optimizer']} step on {result['device']}, {result['params']:,} float32 "
             f"parameters ({result['layout']}), {result['bytes_per_param']:.4g} bytes/param, "
             f"median of {result['repeat']}",
             f"  device-to-device copy: {copy['ms']:.3f} ms, {copy['gb_per_s']:.1f} GB/s",
             f"  {'implementation':<22}{'ms/step':>10}{'GB/s':>9}{'of copy':>9}"]
    for label, row in result["rows"].items():
        lines.append(f"  {label:<22}{row['ms']:>10.3f}{row['gb_per_s']:>9.1f}"
                     f"{row['of_copy']:>9.0%}")
    if "torch fused (cuda)" not in result["rows"]:
        lines.append("  no CUDA build of torch (or no fused variant): no torch row")
    return "\n".join(lines)
