"""Sliding windows for convolution and pooling: ``unfold`` (im2col) and ``fold``.

``unfold`` turns an image batch (N, C, H, W) into the stack of all
``kh x kw`` patches, shape (N, C, kh, kw, OH, OW), so a convolution becomes one
matrix product and max-pooling a max over the patch axes. ``fold`` is its
adjoint: it adds every patch back at the place it came from (overlaps
accumulate). Each is the other's gradient.
"""
from ... import backend
from ..tensor import make_result


def output_size(size, kernel, stride):
    """Number of window positions along one axis (no padding)."""
    return (size - kernel) // stride + 1


def unfold(x, kernel_size, stride):
    """All ``kernel_size`` patches of an (N, C, H, W) tensor, as (N, C, kh, kw, OH, OW)."""
    (kh, kw), (sh, sw) = kernel_size, stride
    n, c, h, w = x.shape
    oh, ow = output_size(h, kh, sh), output_size(w, kw, sw)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"unfold: kernel {kernel_size} is larger than the (padded) input "
                         f"{(h, w)}")
    s = x.array.strides
    patches = backend.xp.lib.stride_tricks.as_strided(
        x.array, (n, c, kh, kw, oh, ow), (s[0], s[1], s[2], s[3], s[2] * sh, s[3] * sw),
        writeable=False)
    out = make_result(patches, (x,), None, "unfold", saved=())
    if out.requires_grad:
        out._backward = lambda g: (fold(g, (h, w), stride),)
    return out


def fold(patches, image_size, stride):
    """Sum (N, C, kh, kw, OH, OW) patches back into an (N, C, H, W) image."""
    n, c, kh, kw, oh, ow = patches.shape
    (sh, sw), (h, w) = stride, image_size
    data = backend.xp.zeros((n, c, h, w), dtype=patches.dtype)
    for i in range(kh):
        for j in range(kw):
            data[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] += patches.array[:, :, i, j]
    out = make_result(data, (patches,), None, "fold", saved=())
    if out.requires_grad:
        out._backward = lambda g: (unfold(g, (kh, kw), stride),)
    return out
