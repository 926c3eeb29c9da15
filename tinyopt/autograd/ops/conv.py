"""2-D convolution as one op: im2col through a strided view, then one matrix product.

With G groups, input (N, C, H, W), weight (O, C/G, kh, kw), stride s,
dilation d and zero padding p, the padded input's patches are gathered
(``unfold``: an ``as_strided`` view, no copy) and laid out once, per image,
as the column matrix

    X_col[n, g]  of shape (K, OH*OW),   K = C/G * kh * kw,

so that the whole output is one (batched) matrix product, already in the
(N, O, OH, OW) layout, with the bias added in place:

    Y[n, g] = W[g] X_col[n, g] + b[g],       W[g] of shape (O/G, K).

The gradients are the same products transposed, and ``fold`` (col2im, the
adjoint of ``unfold``) returns the column gradient to the image:

    dW[g] = sum_n dY[n, g] X_col[n, g]^T,   dX = crop(fold(W[g]^T dY[n, g])),   db = sum dY.

(Image-major columns need no transposed copies of dY or Y, and measured
faster than one (K, N*OH*OW) product here.) The backward is written in
tensor ops, so ``create_graph=True`` gives exact second derivatives; a plain
backward runs the same formula on the raw arrays (``backward_operands``: no
graph nodes for the reshapes, transposes and the fold). The
forward does not keep the column matrix (C*kh*kw times the input: the
largest array of a small CNN's step): the backward gathers it again from the
saved input, with the graph recorded under ``create_graph``, uses it for dW
and frees it before dX's patches exist, a chunk of images at a time (columns
of ``CHUNK_BYTES``; dW sums over the chunks, dX's chunks are concatenated),
so neither temporary grows with the batch. Measured on the course CNN
(``tinyopt bench train --model cnn --memory``): the peak extra memory of a
step fell from 2.3x PyTorch's to 1.4x for one more im2col copy per backward.
"""
from ... import backend
from ..mode import autocast_dtype, no_grad
from ..tensor import as_gradients, backward_operands, make_result
from .linalg import _swap_last, autocast_inputs, autocast_output
from .shape import cat, pad
from .window import fold, fold_array, unfold

CHUNK_BYTES = 2 << 20
"""The backward gathers columns and patches for this many bytes of images at a time."""


def conv_columns(x, kernel, stride, padding, dilation, groups):
    """The (N, G, K, OH*OW) column matrices of ``x``'s patches, and (OH, OW)."""
    (ph, pw) = padding
    if ph or pw:
        x = pad(x, (pw, pw, ph, ph))
    patches = unfold(x, kernel, stride, dilation)  # (N, C, kh, kw, OH, OW), a view
    n, c, kh, kw, oh, ow = patches.shape
    return patches.reshape(n, groups, c // groups * kh * kw, oh * ow), (oh, ow)


def images_per_chunk(column_bytes_per_image):
    """How many images the backward takes at once: their column matrix within CHUNK_BYTES."""
    return max(1, CHUNK_BYTES // max(1, column_bytes_per_image))


def conv2d(x, weight, bias, stride, padding, dilation, groups):
    """The convolution of the module docstring; arguments already checked (``F.conv2d``)."""
    if autocast_dtype() is not None:
        x, weight, bias = autocast_inputs(x, weight, bias)
        return autocast_output(_conv2d(x, weight, bias, stride, padding, dilation, groups))
    return _conv2d(x, weight, bias, stride, padding, dilation, groups)


def _conv2d(x, weight, bias, stride, padding, dilation, groups):
    options = (weight.shape[2:], stride, padding, dilation, groups)
    n, c, h, w = x.shape
    out_channels = weight.shape[0]
    with no_grad():
        columns, (oh, ow) = conv_columns(x, *options)
    kernels = weight.array.reshape(groups, out_channels // groups, -1)
    data = backend.xp.matmul(kernels, columns.array).reshape(n, out_channels, oh, ow)
    if bias is not None:
        data += bias.array.reshape(-1, 1, 1)
    parents = (x, weight) if bias is None else (x, weight, bias)
    out = make_result(data, parents, None, "conv2d", saved=(x, weight))
    del columns  # gathered again by the backward: kept, it is the step's largest array
    if out.requires_grad:
        (ph, pw), (kh, kw) = padding, weight.shape[2:]
        per_chunk = images_per_chunk(c * kh * kw * oh * ow * data.itemsize)

        def backward(g):
            plain, (G, W) = backward_operands(g, weight)  # arrays unless create_graph=True
            kernel_t = _swap_last(W.reshape(groups, out_channels // groups, -1))
            grad_w, image_parts = None, []
            for lo in range(0, n, per_chunk):  # a few images at a time: small temporaries
                part = slice(lo, lo + per_chunk) if per_chunk < n else slice(None)
                rows = G[part].reshape(-1, groups, out_channels // groups, oh * ow)  # dY[n, g]
                if weight.requires_grad:
                    cols = conv_columns(x[part], *options)[0]  # recorded under create_graph
                    cols = cols.array if plain else cols
                    term = (rows @ _swap_last(cols)).sum(axis=0)
                    grad_w = term if grad_w is None else grad_w + term
                    del cols  # before fold's patches exist
                if x.requires_grad:
                    patches = (kernel_t @ rows).reshape(-1, c, kh, kw, oh, ow)
                    image_parts.append((fold_array if plain else fold)(
                        patches, (h + 2 * ph, w + 2 * pw), stride, dilation))
            grad_x = grad_b = None
            if x.requires_grad:
                image = image_parts[0] if len(image_parts) == 1 else (
                    backend.xp.concatenate(image_parts) if plain else cat(image_parts, 0))
                grad_x = image[:, :, ph:ph + h, pw:pw + w] if ph or pw else image
            if grad_w is not None:
                grad_w = grad_w.reshape(weight.shape)
            if bias is not None and bias.requires_grad:
                grad_b = G.sum(axis=(0, 2, 3))
            grads = (grad_x, grad_w) if bias is None else (grad_x, grad_w, grad_b)
            return as_gradients(plain, grads)
        out._backward = backward
    return out
