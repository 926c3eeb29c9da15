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
tensor ops, so ``create_graph=True`` gives exact second derivatives: then the
column matrix is gathered again with the graph recorded; a plain backward
reuses the one the forward built.
"""
from ... import backend
from ..mode import autocast_dtype, is_grad_enabled, no_grad
from ..tensor import make_result
from .linalg import autocast_inputs, autocast_output
from .shape import pad
from .window import fold, unfold


def conv_columns(x, kernel, stride, padding, dilation, groups):
    """The (N, G, K, OH*OW) column matrices of ``x``'s patches, and (OH, OW)."""
    (ph, pw) = padding
    if ph or pw:
        x = pad(x, (pw, pw, ph, ph))
    patches = unfold(x, kernel, stride, dilation)  # (N, C, kh, kw, OH, OW), a view
    n, c, kh, kw, oh, ow = patches.shape
    return patches.reshape(n, groups, c // groups * kh * kw, oh * ow), (oh, ow)


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
    if out.requires_grad:
        saved_columns = columns if weight.requires_grad else None  # else not kept

        def backward(g):
            rows = g.reshape(n, groups, out_channels // groups, oh * ow)  # dY[n, g]
            grad_x = grad_w = grad_b = None
            if x.requires_grad:
                kernel_t = weight.reshape(groups, out_channels // groups, -1).transpose(1, 2)
                patches = (kernel_t @ rows).reshape(n, c, *weight.shape[2:], oh, ow)
                (ph, pw) = padding
                image = fold(patches, (h + 2 * ph, w + 2 * pw), stride, dilation)
                grad_x = image[:, :, ph:ph + h, pw:pw + w] if ph or pw else image
            if weight.requires_grad:
                cols = conv_columns(x, *options)[0] if is_grad_enabled() else saved_columns
                grad_w = (rows @ cols.transpose(-1, -2)).sum(dim=0).reshape(weight.shape)
            if bias is not None and bias.requires_grad:
                grad_b = g.sum(dim=(0, 2, 3))
            return (grad_x, grad_w) if bias is None else (grad_x, grad_w, grad_b)
        out._backward = backward
    return out
