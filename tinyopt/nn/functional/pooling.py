"""Pooling, as in ``torch.nn.functional``: max_pool2d, avg_pool2d, adaptive_avg_pool2d.

Fixed windows (max and average) reduce the patches that ``unfold`` gathers.
Along each axis, with kernel k, stride s, padding p and dilation d, PyTorch
places

    out = floor((size + 2p - d (k - 1) - 1 + (s - 1 if ceil_mode)) / s) + 1

windows, dropping a last ``ceil_mode`` window that would start in the right
padding. ``ceil_mode`` windows may run past the padded input; that overhang
is never counted. The average divides window (i, j) by

    count_include_pad:  (rows inside input + padding) * (columns inside input + padding)
    otherwise:          (rows inside the input) * (columns inside the input)

or by ``divisor_override``. Adaptive average pooling picks windows from the
output size instead: output row i averages input rows
floor(i H / OH) .. ceil((i + 1) H / OH) - 1, and likewise for columns, so
the whole pooling is the product  A_h x A_w^T  with constant averaging
matrices A (one row per output position).

All three accept (N, C, H, W) and unbatched (C, H, W) input.
"""
from ... import backend
from ...autograd import Tensor
from ...autograd.ops.pool import max_pool_windows
from ...autograd.ops.shape import pad
from ...autograd.ops.window import unfold
from .layers import pair


def pool_options(kernel_size, stride, padding, dilation=1):
    """Checked ``(kernel, stride, padding, dilation)`` pairs; stride defaults to the kernel."""
    kernel = pair(kernel_size, "kernel_size", positive=True)
    stride = kernel if stride is None else pair(stride, "stride", positive=True)
    padding, dilation = pair(padding, "padding"), pair(dilation, "dilation", positive=True)
    if any(p > k // 2 for p, k in zip(padding, kernel)):  # PyTorch's rule, dilation or not
        raise ValueError(f"padding must be at most half the kernel size, got "
                         f"padding={padding!r} for kernel_size={kernel!r}")
    return kernel, stride, padding, dilation


def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """Number of windows along one axis, by PyTorch's rule (see the module docstring)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _batched(name, x):
    """``x`` as (N, C, H, W), and whether it came unbatched as (C, H, W)."""
    if x.ndim not in (3, 4):
        raise ValueError(f"{name}: expected input (N, C, H, W) or (C, H, W), got shape {x.shape}")
    return (x.unsqueeze(0), True) if x.ndim == 3 else (x, False)


def _padding(name, x, options, ceil_mode):
    """(top, bottom, left, right) padding that makes every window full (overhang included)."""
    kernel, stride, padding, dilation = options
    sizes = [pool_output_size(n, k, s, p, d, ceil_mode)
             for n, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation)]
    if min(sizes) <= 0:
        raise ValueError(f"{name}: input of shape {x.shape} is too small for kernel_size "
                         f"{kernel} (padding {padding}, dilation {dilation}): output size "
                         f"{tuple(sizes)}")
    # right-hand padding grows by the ceil_mode overhang so that every window is full
    extra = [max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p)) for o, n, k, s, p, d in
             zip(sizes, x.shape[2:], kernel, stride, padding, dilation)]
    (ph, pw), (eh, ew) = padding, extra
    return ph, ph + eh, pw, pw + ew


def _windows(name, x, options, ceil_mode, fill):
    """The (N, C, kh, kw, OH, OW) patches of ``x`` padded with ``fill`` (overhang included)."""
    top, bottom, left, right = _padding(name, x, options, ceil_mode)
    if top or bottom or left or right:
        x = pad(x, (left, right, top, bottom), value=fill)
    kernel, stride, _, dilation = options
    return unfold(x, kernel, stride, dilation)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Maximum over each (kh, kw) window; ties send the gradient to the first maximum.

    One op (``autograd/ops/pool.py``): it keeps the arg-max of each window,
    and its backward adds each gradient at that one input position."""
    x, unbatched = _batched("max_pool2d", x)
    options = pool_options(kernel_size, stride, padding, dilation)
    kernel, stride, _, dilation = options
    out = max_pool_windows(x, kernel, stride, dilation,
                           _padding("max_pool2d", x, options, ceil_mode))
    return out.squeeze(0) if unbatched else out


def _window_counts(size, kernel, stride, padding, out):
    """Per window along one axis: (positions inside input + padding, positions inside input)."""
    xp = backend.xp
    start = xp.arange(out) * stride - padding
    end = xp.minimum(start + kernel, size + padding)
    return end - start, xp.minimum(end, size) - xp.maximum(start, 0)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over each (kh, kw) window, divided as described in the module docstring."""
    if divisor_override is not None and (not isinstance(divisor_override, int)
                                         or divisor_override == 0):
        raise ValueError(f"divisor_override must be a non-zero int or None, got "
                         f"{divisor_override!r}")
    x, unbatched = _batched("avg_pool2d", x)
    options = pool_options(kernel_size, stride, padding)
    patches = _windows("avg_pool2d", x, options, ceil_mode, 0.0)
    (kh, kw), (sh, sw), (ph, pw), _ = options
    oh, ow = patches.shape[4:]
    if divisor_override is not None:
        divisor = float(divisor_override)
    else:
        (with_pad_h, inside_h), (with_pad_w, inside_w) = (
            _window_counts(x.shape[2], kh, sh, ph, oh), _window_counts(x.shape[3], kw, sw, pw, ow))
        rows, columns = (with_pad_h, with_pad_w) if count_include_pad else (inside_h, inside_w)
        divisor = backend.xp.outer(rows, columns).astype(x.dtype)
    out = patches.sum(dim=(2, 3)) / divisor
    return out.squeeze(0) if unbatched else out


def adaptive_output_size(output_size, input_size=None):
    """``output_size`` (an int, or a pair whose None entries keep ``input_size``) as a pair."""
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) \
        else (output_size, output_size)
    if input_size is not None and len(sizes) == 2:
        sizes = tuple(n if s is None else s for s, n in zip(sizes, input_size))
    if len(sizes) != 2 or any(s is not None and (not isinstance(s, int) or isinstance(s, bool)
                                                 or s < 0) for s in sizes):
        raise ValueError(f"output_size must be a non-negative int or a pair of them (None keeps "
                         f"the input's size), got {output_size!r}")
    return sizes


def _averaging_matrix(size, out, dtype):
    """A (out, size) matrix whose row i averages PyTorch's adaptive window i."""
    matrix = backend.xp.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, end = (i * size) // out, -(-((i + 1) * size) // out)
        matrix[i, start:end] = 1.0 / (end - start)
    return Tensor(matrix)


def adaptive_avg_pool2d(x, output_size):
    """Average pooling to a fixed ``output_size`` whatever the input's height and width."""
    x, unbatched = _batched("adaptive_avg_pool2d", x)
    if min(x.shape[2:]) == 0:
        raise ValueError(f"adaptive_avg_pool2d: input of shape {x.shape} has an empty "
                         "spatial dim")
    oh, ow = adaptive_output_size(output_size, x.shape[2:])
    rows = _averaging_matrix(x.shape[2], oh, x.dtype)
    columns = _averaging_matrix(x.shape[3], ow, x.dtype)
    out = rows @ x @ columns.T
    return out.squeeze(0) if unbatched else out
