"""Max pooling as one op: the window maxima, and the position each came from.

For (N, C, H, W) input padded (with -inf) to (Hp, Wp), window (i, j) with
kernel (kh, kw), stride s and dilation d reads the kh*kw values

    x[n, c, s_h i + d_h u, s_w j + d_w v]       u < kh, v < kw

(``unfold``: a strided view). The forward keeps, per output element, the
offset k = u kw + v of the first maximum (PyTorch's choice at ties), so the
backward needs no mask of the input: the gradient of each output goes to the
one input position

    p = ((n C + c) Hp + s_h i + d_h u) Wp + s_w j + d_w v

added there by ``index_add`` (overlapping windows may pick one position
twice), whose own gradient is the gather at the same positions, so the
backward differentiates again (``create_graph=True``).
"""
from ... import backend
from ..mode import no_grad
from ..tensor import make_result
from .shape import index_add, pad
from .window import unfold


def max_pool_windows(x, kernel, stride, dilation, widths):
    """The maximum of every window of ``x`` padded by ``widths`` = (top, bottom, left, right)."""
    xp = backend.xp
    top, bottom, left, right = widths
    with no_grad():
        padded = pad(x, (left, right, top, bottom), value=float("-inf")) if any(widths) else x
        patches = unfold(padded, kernel, stride, dilation)
    n, c, kh, kw, oh, ow = patches.shape
    values = patches.array.reshape(n, c, kh * kw, oh, ow)
    offset = values.argmax(axis=2)[:, :, None]
    data = xp.take_along_axis(values, offset, axis=2)[:, :, 0]
    out = make_result(data, (x,), None, "max_pool2d", saved=())
    if out.requires_grad:
        hp, wp = padded.shape[2:]

        def backward(g):
            (sh, sw), (dh, dw) = stride, dilation
            u, v = xp.divmod(offset[:, :, 0], kw)
            rows = xp.arange(oh).reshape(-1, 1) * sh + dh * u
            columns = xp.arange(ow) * sw + dw * v
            planes = xp.arange(n * c).reshape(n, c, 1, 1)
            positions = ((planes * hp + rows) * wp + columns).reshape(-1)
            image = index_add(g.reshape(-1), (positions,), (n * c * hp * wp,)).reshape(
                n, c, hp, wp)
            return (image[:, :, top:hp - bottom, left:wp - right] if any(widths) else image,)
        out._backward = backward
    return out
