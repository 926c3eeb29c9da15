"""Loss functions, as in ``torch.nn.functional``, each with ``reduction`` in
{'mean', 'sum', 'none'}.

    mse:            (x - y)^2
    nll:            -logp[target]
    cross_entropy:  nll(log_softmax(logits)); with label smoothing eps,
                    (1 - eps) * nll + eps * mean_c(-logp_c)
    bce_with_logits: (1 - y) x + (1 + (w - 1) y) log(1 + e^-x)   (w = pos_weight)
    huber:          d^2 / 2 if |d| < delta else delta (|d| - delta / 2)
"""
from ... import backend
from ...autograd import Tensor
from ...autograd.ops import elementwise as ew
from ...autograd.ops import reduce

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction):
    """Raise ``ValueError`` unless ``reduction`` is 'mean', 'sum' or 'none'."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _reduce(loss, reduction):
    check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _same_shape(name, input, target):
    if input.shape != target.shape:
        raise ValueError(f"{name}: input shape {input.shape} and target shape {target.shape} "
                         "differ (they would broadcast silently; reshape one of them)")


def _class_indices(name, target, batch, classes):
    data = target.array if isinstance(target, Tensor) else backend.asarray(target)
    if data.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer class indices, got dtype {data.dtype}")
    if data.shape != (batch,):
        raise ValueError(f"{name}: input of shape {(batch, classes)} needs a target of shape "
                         f"({batch},), got target of shape {data.shape}")
    if data.size and (data.min() < 0 or data.max() >= classes):
        raise IndexError(f"{name}: target values must be in [0, {classes}), got values in "
                         f"[{data.min()}, {data.max()}]")
    return data


def mse_loss(input, target, reduction="mean"):
    """Mean squared error."""
    _same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def nll_loss(log_probs, target, reduction="mean"):
    """Negative log-likelihood of class indices ``target`` under (N, C) log-probabilities."""
    if log_probs.ndim != 2:
        raise ValueError(f"nll_loss: expected (N, C) log-probabilities, got {log_probs.shape}")
    index = _class_indices("nll_loss", target, *log_probs.shape)
    picked = log_probs.gather(1, index.reshape(-1, 1)).reshape(-1)
    return _reduce(-picked, reduction)


def cross_entropy(logits, target, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of (N, C) logits against class indices, optional label smoothing."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: expected (N, C) logits, got {logits.shape}; "
                         "reshape (N, T, C) to (N * T, C)")
    log_probs = reduce.log_softmax(logits, 1)
    loss = nll_loss(log_probs, target, reduction="none")
    if label_smoothing:
        loss = (1 - label_smoothing) * loss - label_smoothing * log_probs.mean(dim=1)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, reduction="mean", pos_weight=None):
    """Binary cross-entropy on logits, stable for any magnitude; ``pos_weight`` scales positives."""
    _same_shape("binary_cross_entropy_with_logits", input, target)
    log_weight = 1.0 if pos_weight is None else 1 + (pos_weight - 1) * target
    loss = (1 - target) * input + log_weight * ew.softplus(-input, 1.0, float("inf"))
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Quadratic for |x - y| < delta, linear beyond (smooth, robust to outliers)."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    _same_shape("huber_loss", input, target)
    diff = input - target
    size = diff.abs()
    loss = ew.where(size.array < delta, 0.5 * diff * diff, delta * (size - 0.5 * delta))
    return _reduce(loss, reduction)
