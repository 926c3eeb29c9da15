"""Sliding windows for convolution and pooling: ``unfold`` (im2col) and ``fold``.

``unfold`` turns an image batch (N, C, H, W) into the stack of all
``kh x kw`` patches, shape (N, C, kh, kw, OH, OW), so a convolution becomes one
matrix product and pooling a reduction over the patch axes. Patch (i, j) at
kernel offset (u, v) reads

    x[n, c, s_h * i + d_h * u, s_w * j + d_w * v]      (s: stride, d: dilation)

``fold`` is its adjoint: it adds every patch back at the place it came from
(overlaps accumulate). Each is the other's gradient.
"""
from ... import backend
from ...kernels.conv_kernels import col2im, compiled_loops_take
from ..tensor import make_result


def output_size(size, kernel, stride, dilation=1):
    """Number of window positions along one axis (no padding)."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def unfold(x, kernel_size, stride, dilation=(1, 1)):
    """All ``kernel_size`` patches of an (N, C, H, W) tensor, as (N, C, kh, kw, OH, OW)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    n, c, h, w = x.shape
    oh, ow = output_size(h, kh, sh, dh), output_size(w, kw, sw, dw)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"unfold: kernel {kernel_size} with dilation {dilation} is larger "
                         f"than the (padded) input {(h, w)}")
    s = x.array.strides
    patches = backend.xp.lib.stride_tricks.as_strided(
        x.array, (n, c, kh, kw, oh, ow),
        (s[0], s[1], s[2] * dh, s[3] * dw, s[2] * sh, s[3] * sw), writeable=False)
    out = make_result(patches, (x,), None, "unfold", saved=())
    if out.requires_grad:
        out._backward = lambda g: (fold(g, (h, w), stride, dilation),)
    return out


def fold(patches, image_size, stride, dilation=(1, 1)):
    """Sum (N, C, kh, kw, OH, OW) patches back into an (N, C, H, W) image."""
    kh, kw = patches.shape[2:4]
    data = fold_array(patches.array, image_size, stride, dilation)
    out = make_result(data, (patches,), None, "fold", saved=())
    if out.requires_grad:
        out._backward = lambda g: (unfold(g, (kh, kw), stride, dilation),)
    return out


def fold_array(patches, image_size, stride, dilation=(1, 1)):
    """``fold`` on backend arrays, no graph: what a plain backward computes with."""
    n, c, kh, kw, oh, ow = patches.shape
    (sh, sw), (dh, dw), (h, w) = stride, dilation, image_size
    data = backend.xp.zeros((n, c, h, w), dtype=patches.dtype)
    if compiled_loops_take(patches):  # one compiled pass (kernels/conv_kernels.py)
        col2im(patches, data, stride, dilation)
    else:
        for u in range(kh):
            for v in range(kw):
                data[:, :, dh * u:dh * u + sh * oh:sh, dw * v:dw * v + sw * ow:sw] += \
                    patches[:, :, u, v]
    return data
