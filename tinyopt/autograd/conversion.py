"""Moving a tensor between dtypes and devices: ``to``, ``float``, ``cpu``, ``cuda``, ...

As in PyTorch, ``t.to(...)`` takes a dtype, a device, both, or another
tensor (whose dtype and device it copies), and returns ``t`` itself when
nothing would change. Both moves are ops of the graph: the gradient is
cast (or moved) back, so a model can compute in float64 or on a GPU and
still hand its leaves gradients of their own dtype and device.

``"cpu"`` is the NumPy backend; ``"cuda"`` is CuPy on an NVIDIA GPU and
raises one clear error where CuPy or a GPU is missing.
"""
from .. import backend


class ConversionMethods:
    """The dtype and device methods of ``Tensor`` (mixed in; see the module docstring)."""

    @property
    def device(self):
        """The ``device`` holding this tensor's memory."""
        return backend.device_of(self.array)

    @property
    def is_cuda(self):
        """True when the tensor lives on a GPU."""
        return self.device.type == "cuda"

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """This tensor in another dtype and/or on another device (``self`` if already so).

        Call as ``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or
        ``to(other_tensor)``; ``copy=True`` always returns a new tensor.
        ``non_blocking`` is accepted for PyTorch's sake and has no effect.
        """
        from .tensor import Tensor
        for arg in args:
            if isinstance(arg, Tensor):
                dtype, device = arg.dtype, arg.device
            elif isinstance(arg, (str, backend.device)) and _names_device(arg):
                device = arg
            else:
                dtype = arg
        out = self
        if device is not None:
            target = backend.device(device)
            if target.type == "cuda":
                backend.require_cuda()
            if target != out.device:
                out = _ew().move(out, target)
        if dtype is not None:
            dtype = backend.as_dtype(dtype)
            if isinstance(dtype, backend.EmulatedDType):
                out = _ew().bfloat16_round(out.to(dtype.storage))
            elif dtype != out.dtype:
                out = _ew().cast(out, dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self):
        """This tensor in host memory (NumPy)."""
        return self.to("cpu")

    def cuda(self, device=None):
        """This tensor on a GPU (``device``: an index or ``"cuda:N"``)."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = backend.device("cuda", device)
        return self.to(device)

    def type_as(self, other):
        """This tensor cast to ``other``'s dtype."""
        return self.to(other.dtype)

    def float(self): return self.to("float32")
    def double(self): return self.to("float64")
    def half(self): return self.to("float16")
    def bfloat16(self): return self.to(backend.bfloat16)
    def long(self): return self.to("int64")
    def int(self): return self.to("int32")
    def bool(self): return self.to("bool")


def _names_device(value):
    if isinstance(value, backend.device):
        return True
    return value.partition(":")[0] in ("cpu", "cuda", "mps", "tpu", "xla", "meta") \
        or ":" in value


def _ew():
    from .ops import elementwise
    return elementwise
