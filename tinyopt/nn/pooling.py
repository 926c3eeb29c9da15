"""Pooling layers: ``MaxPool2d``, ``AvgPool2d`` and ``AdaptiveAvgPool2d``.

Each checks its options when built and calls its ``nn.functional`` twin
(``functional/pooling.py`` has the window arithmetic).
"""
from . import functional as F
from .functional.pooling import adaptive_output_size, pool_options
from .module import Module


class MaxPool2d(Module):
    """Maximum over each window (stride defaults to the kernel size)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, *, ceil_mode=False):
        super().__init__()
        pool_options(kernel_size, stride, padding, dilation)  # refuse bad options now
        # kept as given, so that repr prints what PyTorch prints
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.dilation, self.ceil_mode = padding, dilation, bool(ceil_mode)

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over each window; ``count_include_pad`` counts the zero padding in the mean."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        pool_options(kernel_size, stride, padding)
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding = padding
        if divisor_override is not None and (not isinstance(divisor_override, int)
                                             or divisor_override == 0):
            raise ValueError(f"divisor_override must be a non-zero int or None, got "
                             f"{divisor_override!r}")
        self.ceil_mode, self.count_include_pad = bool(ceil_mode), bool(count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to ``output_size`` (an int, or a pair; None keeps the input's size)."""

    def __init__(self, output_size):
        super().__init__()
        adaptive_output_size(output_size)  # refuse a bad size now, not at the first call
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
