"""Image layers: ``Conv2d`` and ``Flatten`` (pooling is in ``pooling.py``)."""
from .. import backend
from . import functional as F
from . import init
from .functional.layers import pair
from .module import Module
from .parameter import Parameter


class Conv2d(Module):
    """2-D convolution over (N, C, H, W) input, computed by im2col.

    ``stride``, zero ``padding``, ``dilation`` (gaps between kernel taps) and
    ``groups`` (channels split into independent groups; ``groups ==
    in_channels`` is a depthwise convolution) as in PyTorch. The weight has
    shape (out_channels, in_channels / groups, kh, kw).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                            ("groups", groups)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if value % groups:
                raise ValueError(f"{name} must be divisible by groups, got {name}={value} "
                                 f"and groups={groups}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", positive=True)
        self.stride = pair(stride, "stride", positive=True)
        self.padding = pair(padding, "padding")
        self.dilation = pair(dilation, "dilation", positive=True)
        dtype = backend.default_dtype()
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(backend.xp.empty(shape, dtype=dtype))
        self.bias = Parameter(backend.xp.empty(out_channels, dtype=dtype)) if bias else None
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
               f"stride={self.stride}"  # the rest only when not the default, as PyTorch prints
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text if self.bias is not None else text + ", bias=False"


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` (by default all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

