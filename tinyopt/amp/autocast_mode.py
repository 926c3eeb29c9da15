"""``autocast``: run the matrix products of a forward pass in a low-precision dtype.

Inside ``with autocast(device_type, dtype):`` the ops that do the heavy
arithmetic — ``matmul``, ``linear`` and the convolutions built on them —
cast their floating-point inputs to ``dtype`` and return ``dtype`` results,
while ``softmax``, ``log_softmax`` and ``logsumexp`` (and so the losses built
on them) compute in float32, as PyTorch's autocast does. Backward runs in
the dtypes the forward used; gradients reach the float32 parameters as
float32 (the cast is an op of the graph).

On the CPU this is an accuracy simulation, not a speed-up: NumPy's float16
matrix product has no BLAS kernel and runs about 70x slower than float32.
``dtype=tinyopt.bfloat16`` (the CPU default, as in PyTorch) is emulated in
float32 — values rounded to bfloat16's 8 significant bits before and after
each product — and runs at float32 speed: it is the recommended CPU path.

Example::

    >>> with tinyopt.amp.autocast("cpu"):                 # bfloat16 products
    ...     loss = loss_fn(model(x), y)
    >>> loss.backward()
"""
import functools

from .. import backend
from ..autograd.mode import autocast_dtype, set_autocast_dtype

_DEFAULT_DTYPE = {"cpu": backend.bfloat16, "cuda": backend.as_dtype("float16")}


class autocast:
    """Context manager (and decorator) for mixed-precision forward passes.

    Args:
        device_type: ``"cpu"`` or ``"cuda"`` (the device the ops run on).
        dtype: ``tinyopt.float16`` or ``tinyopt.bfloat16``; defaults to
            bfloat16 on the CPU and float16 on CUDA, as in PyTorch.
        enabled: False turns autocasting off inside the block.
        cache_enabled: accepted for PyTorch's sake; unused.
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if device_type not in _DEFAULT_DTYPE:
            raise ValueError(f"device_type must be 'cpu' or 'cuda', got {device_type!r}")
        dtype = _DEFAULT_DTYPE[device_type] if dtype is None else backend.as_dtype(dtype)
        if not (dtype is backend.bfloat16 or dtype == backend.as_dtype("float16")):
            raise ValueError(f"autocast dtype must be tinyopt.float16 or tinyopt.bfloat16, "
                             f"got {dtype}")
        if not isinstance(enabled, bool):
            raise TypeError(f"enabled must be a bool, got {enabled!r}")
        self.device_type, self.dtype, self.enabled = device_type, dtype, enabled

    def __enter__(self):
        self._previous = autocast_dtype()
        set_autocast_dtype(self.dtype if self.enabled else None)
        return self

    def __exit__(self, *exc):
        set_autocast_dtype(self._previous)

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with autocast(self.device_type, self.dtype, self.enabled):
                return function(*args, **kwargs)
        return wrapper


def is_autocast_enabled():
    """True inside an enabled ``autocast`` block."""
    return autocast_dtype() is not None
