"""Layer computations: linear, embedding, conv2d, layer_norm, batch_norm.

Convolution computes

    out[n, o, i, j] = sum_{c, u, v} w[o, c, u, v] * x[n, g C/G + c, s i + d u, s j + d v] + b[o]

with stride s, dilation d, and G groups: output channel o belongs to group
g = o // (O/G) and sees only that group's C/G input channels. It is one op
(``autograd/ops/conv.py``: im2col and one matrix product per group); this
function checks the arguments.
"""
from ... import backend
from ...autograd import Tensor
from ...autograd.ops.conv import conv2d as conv_op
from ...autograd.ops.elementwise import where
from ...autograd.ops.layer_norm import layer_norm as layer_norm_op
from ...autograd.ops.linalg import linear as linear_op


def _check_shape(op, name, value, expected):
    """Refuse a weight or statistic that would only fit by broadcasting (PyTorch refuses too)."""
    if value is not None and tuple(value.shape) != tuple(expected):
        raise ValueError(f"{op}: {name} must have shape {tuple(expected)}, got {value.shape}")


def linear(x, weight, bias=None):
    """x @ weight^T + bias, for weight of shape (out_features, in_features)."""
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} has {x.shape[-1]} features but "
                         f"weight of shape {weight.shape} expects {weight.shape[1]}")
    _check_shape("linear", "bias", bias, weight.shape[:1])
    return linear_op(x, weight, bias)


def padding_index(padding_idx, num_embeddings):
    """``padding_idx`` as a row in [0, num_embeddings) (negative counts from the end), or None."""
    if padding_idx is None:
        return None
    if not isinstance(padding_idx, int) or not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"padding_idx must be an int in [{-num_embeddings}, {num_embeddings}) "
                         f"(within num_embeddings) or None, got {padding_idx!r}")
    return padding_idx % num_embeddings


def embedding(indices, weight, padding_idx=None):
    """Rows of ``weight`` picked by integer ``indices`` (any shape).

    Positions whose index is ``padding_idx`` read that row like any other
    but send no gradient into it, so the padding vector stays as it is.
    """
    padding_idx = padding_index(padding_idx, weight.shape[0])
    data = indices.array if isinstance(indices, Tensor) else backend.asarray(indices)
    if data.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {data.dtype}")
    if data.size and backend.host_bool((data.min() < 0) | (data.max() >= weight.shape[0])):
        raise IndexError(f"embedding: indices must be in [0, {weight.shape[0]}), got values in "
                         f"[{data.min()}, {data.max()}]")
    rows = weight[data]
    if padding_idx is None:
        return rows
    return where((data != padding_idx)[..., None], rows, rows.detach())


def pair(value, name, positive=False):
    """``value`` as an (height, width) pair of non-negative (or ``positive``) ints."""
    pair_ = (value, value) if isinstance(value, int) else tuple(value)
    smallest = 1 if positive else 0
    if len(pair_) != 2 or any(not isinstance(v, int) or v < smallest for v in pair_):
        kind = "positive" if positive else "non-negative"
        raise ValueError(f"{name} must be a {kind} int or a pair of them, got {value!r}")
    return pair_


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution of (N, C, H, W) input with (O, C / groups, kh, kw) weight."""
    if not isinstance(groups, int) or groups <= 0:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    out_channels, group_channels, kh, kw = weight.shape
    if out_channels % groups:
        raise ValueError(f"conv2d: the weight's {out_channels} output channels are not "
                         f"divisible by groups={groups}")
    if x.ndim != 4 or x.shape[1] != group_channels * groups:
        raise ValueError(f"conv2d: expected input (N, {group_channels * groups}, H, W) for "
                         f"weight of shape {weight.shape} and groups={groups}, got input of "
                         f"shape {x.shape}")
    stride, dilation = pair(stride, "stride", positive=True), pair(dilation, "dilation",
                                                                   positive=True)
    padding = pair(padding, "padding")
    _check_shape("conv2d", "bias", bias, (out_channels,))
    return conv_op(x, weight, bias, stride, padding, dilation, groups)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` dims, then scale and shift.

    One op with its backward by formula (``autograd/ops/layer_norm.py``)."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
        else tuple(normalized_shape)
    if x.shape[x.ndim - len(normalized_shape):] != normalized_shape:
        raise ValueError(f"layer_norm: input of shape {x.shape} does not end with "
                         f"normalized_shape {normalized_shape}")
    _check_shape("layer_norm", "weight", weight, normalized_shape)
    _check_shape("layer_norm", "bias", bias, normalized_shape)
    dims = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    return layer_norm_op(x, dims, weight, bias, eps)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) by batch statistics (training) or running ones.

    In training the running statistics are updated in place, with the
    unbiased batch variance, as PyTorch does:
    running = (1 - momentum) * running + momentum * batch.
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input (N, C, ...), got shape {x.shape}")
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        _check_shape("batch_norm", name, value, x.shape[1:2])
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        if x.numel() == x.shape[1]:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {x.shape}")
        mean = x.mean(dim=dims, keepdim=True)
        var = x.var(dim=dims, keepdim=True, correction=0)
        if running_mean is not None:
            count = x.numel() // x.shape[1]
            unbiased = var.array.reshape(-1) * (count / max(count - 1, 1))
            running_mean.array[...] = (1 - momentum) * running_mean.array \
                + momentum * mean.array.reshape(-1)
            running_var.array[...] = (1 - momentum) * running_var.array + momentum * unbiased
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when "
                             "training=False")
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    out = (x - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)
