"""Image layers: ``Conv2d``, ``MaxPool2d`` and ``Flatten``."""
from .. import backend
from . import functional as F
from . import init
from .functional.layers import pair
from .module import Module
from .parameter import Parameter


class Conv2d(Module):
    """2-D convolution (stride, zero padding) over (N, C, H, W) input, computed by im2col."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "kernel_size", positive=True)
        self.stride = pair(stride, "stride", positive=True)
        self.padding = pair(padding, "padding")
        dtype = backend.default_dtype()
        self.weight = Parameter(backend.xp.empty((out_channels, in_channels) + self.kernel_size,
                                                 dtype=dtype))
        self.bias = Parameter(backend.xp.empty(out_channels, dtype=dtype)) if bias else None
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")


class MaxPool2d(Module):
    """Maximum over each window (stride defaults to the kernel size)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = pair(kernel_size, "kernel_size", positive=True)
        self.stride = pair(stride, "stride", positive=True) if stride is not None \
            else self.kernel_size
        self.padding = pair(padding, "padding")
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f"padding must be at most half the kernel size "
                             f"{self.kernel_size}, got {padding!r}")

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` (by default all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

