"""Layer computations: linear, embedding, conv2d, max_pool2d, layer_norm, batch_norm.

Convolution is im2col: ``unfold`` gathers every kernel-sized patch, and one
matrix product with the flattened kernels computes all outputs at once,

    out[n, o, i, j] = sum_{c, u, v} w[o, c, u, v] * x[n, c, s*i + u, s*j + v] + b[o].
"""
from ...autograd.ops.shape import pad
from ...autograd.ops.window import unfold


def linear(x, weight, bias=None):
    """x @ weight^T + bias, for weight of shape (out_features, in_features)."""
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} has {x.shape[-1]} features but "
                         f"weight of shape {weight.shape} expects {weight.shape[1]}")
    out = x @ weight.T
    return out if bias is None else out + bias


def embedding(indices, weight):
    """Rows of ``weight`` picked by integer ``indices`` (any shape)."""
    data = getattr(indices, "data", indices)
    if data.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {data.dtype}")
    if data.size and (data.min() < 0 or data.max() >= weight.shape[0]):
        raise IndexError(f"embedding: indices must be in [0, {weight.shape[0]}), got values in "
                         f"[{data.min()}, {data.max()}]")
    return weight[data]


def pair(value, name):
    """``value`` as an (height, width) pair of non-negative ints."""
    pair_ = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair_) != 2 or any(not isinstance(v, int) or v < 0 for v in pair_):
        raise ValueError(f"{name} must be a non-negative int or a pair of them, got {value!r}")
    return pair_


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """2-D convolution of (N, C, H, W) input with (O, C, kh, kw) weight."""
    if x.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError(f"conv2d: expected input (N, {weight.shape[1]}, H, W) for weight of "
                         f"shape {weight.shape}, got input of shape {x.shape}")
    (sh, sw), (ph, pw) = pair(stride, "stride"), pair(padding, "padding")
    if sh == 0 or sw == 0:
        raise ValueError(f"conv2d: stride must be positive, got {stride!r}")
    out_channels, channels, kh, kw = weight.shape
    if ph or pw:
        x = pad(x, (pw, pw, ph, ph))
    patches = unfold(x, (kh, kw), (sh, sw))
    n, _, _, _, oh, ow = patches.shape
    columns = patches.permute(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, channels * kh * kw)
    out = columns @ weight.reshape(out_channels, -1).T
    if bias is not None:
        out = out + bias
    return out.reshape(n, oh, ow, out_channels).permute(0, 3, 1, 2)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Maximum over each (kh, kw) window of an (N, C, H, W) tensor."""
    kh, kw = pair(kernel_size, "kernel_size")
    sh, sw = pair(stride if stride is not None else kernel_size, "stride")
    ph, pw = pair(padding, "padding")
    if ph or pw:
        x = pad(x, (pw, pw, ph, ph), value=float("-inf"))
    patches = unfold(x, (kh, kw), (sh, sw))
    n, c, _, _, oh, ow = patches.shape
    return patches.reshape(n, c, kh * kw, oh, ow).max(dim=2).values


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` dims, then scale and shift."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
        else tuple(normalized_shape)
    if x.shape[x.ndim - len(normalized_shape):] != normalized_shape:
        raise ValueError(f"layer_norm: input of shape {x.shape} does not end with "
                         f"normalized_shape {normalized_shape}")
    dims = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, keepdim=True, correction=0)
    out = (x - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) by batch statistics (training) or running ones.

    In training the running statistics are updated in place, with the
    unbiased batch variance, as PyTorch does:
    running = (1 - momentum) * running + momentum * batch.
    """
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        mean = x.mean(dim=dims, keepdim=True)
        var = x.var(dim=dims, keepdim=True, correction=0)
        if running_mean is not None:
            count = x.numel() // x.shape[1]
            unbiased = var.data.reshape(-1) * (count / max(count - 1, 1))
            running_mean.data[...] = (1 - momentum) * running_mean.data \
                + momentum * mean.data.reshape(-1)
            running_var.data[...] = (1 - momentum) * running_var.data + momentum * unbiased
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    out = (x - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)
