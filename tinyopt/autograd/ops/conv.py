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
graph nodes for the reshapes, transposes and the fold). The column matrix
(C*kh*kw times the input: the largest array of a small CNN's step) never
exists for the whole batch: the forward builds it a chunk of images at a time
(columns of ``CHUNK_BYTES``), each chunk's product written into its slice of
the output, and does not keep it; the backward gathers it again from the
saved input, with the graph recorded under ``create_graph``, uses it for dW
and frees it before dX's patches exist, chunk by chunk (dW sums over the
chunks, dX's chunks are concatenated), so no temporary grows with the batch.
Measured on the course CNN (``tinyopt bench train --model cnn --memory``):
the peak extra memory of a step fell from 2.3x PyTorch's to 1.4x with the
chunked backward, and to 1.2x with the chunked forward and the intermediates
the backward does not read freed before it starts (``autograd/release.py``).
"""
from ... import backend
from ..mode import autocast_dtype, no_grad
from ..tensor import as_gradients, backward_operands, make_result
from .linalg import _swap_last, autocast_inputs, autocast_output
from .shape import cat, pad
from .window import fold, fold_array, output_size, unfold

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
    """How many images a pass takes at once: their column matrix within CHUNK_BYTES."""
    return max(1, CHUNK_BYTES // max(1, column_bytes_per_image))


def image_chunks(n, per_chunk):
    """Slices of the batch, ``per_chunk`` images each (the last may be short)."""
    if per_chunk >= n:
        return [slice(None)]
    return [slice(lo, lo + per_chunk) for lo in range(0, n, per_chunk)]


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
    (ph, pw), (kh, kw) = padding, weight.shape[2:]
    oh, ow = (output_size(extent + 2 * p, k, s, d)
              for extent, p, k, s, d in zip((h, w), padding, (kh, kw), stride, dilation))
    xp = backend.xp
    kernels = weight.array.reshape(groups, out_channels // groups, -1)
    data = xp.empty((n, groups, out_channels // groups, oh * ow),
                    dtype=xp.result_type(kernels, x.array))
    chunks = image_chunks(n, images_per_chunk(c * kh * kw * oh * ow * data.itemsize))
    with no_grad():
        for part in chunks:  # the column matrix of a few images at a time, never the batch's
            xp.matmul(kernels, conv_columns(x[part], *options)[0].array, out=data[part])
    data = data.reshape(n, out_channels, oh, ow)
    if bias is not None:
        data += bias.array.reshape(-1, 1, 1)
    parents = (x, weight) if bias is None else (x, weight, bias)
    out = make_result(data, parents, None, "conv2d", saved=(x, weight))
    if out.requires_grad:
        def backward(g):
            plain, (G, W) = backward_operands(g, weight)  # arrays unless create_graph=True
            kernel_t = _swap_last(W.reshape(groups, out_channels // groups, -1))
            grad_w, image_parts = None, []
            for part in chunks:  # the columns gathered again, a chunk at a time
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
