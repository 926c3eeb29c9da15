"""Loss functions, as in ``torch.nn.functional``, each with ``reduction`` in
{'mean', 'sum', 'none'}.

    mse:            (x - y)^2
    nll:            -w[y] logp[y]                (w: class weights, 1 without)
    cross_entropy:  nll(log_softmax(logits)); with label smoothing eps over C classes,
                    (1 - eps) (-w[y] logp[y]) + (eps / C) sum_c (-w[c] logp[c])
    bce_with_logits: (1 - y) x + (1 + (w - 1) y) log(1 + e^-x)   (w = pos_weight)
    huber:          d^2 / 2 if |d| < delta else delta (|d| - delta / 2)

The class losses take PyTorch's layouts: input (N, C) or (N, C, d1, d2, ...)
with integer targets (N,) or (N, d1, d2, ...), or one unbatched (C,) input
with a 0-d target. A target equal to ``ignore_index`` contributes nothing,
and 'mean' divides by the summed weight w[y] of the targets not ignored (the
count of them without weights), as PyTorch does: a weighted average, not the
mean over elements.
"""
import warnings

from ... import backend
from ...autograd import Tensor
from ...autograd.ops import elementwise as ew
from ...autograd.ops import reduce as reduce_ops

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


def mse_loss(input, target, reduction="mean"):
    """Mean squared error."""
    _same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def legacy_reduction(size_average, reduce, reduction):
    """``reduction``, or PyTorch's reading of its deprecated ``size_average``/``reduce`` flags."""
    if size_average is None and reduce is None:
        check_reduction(reduction)
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce are deprecated (in PyTorch too); use "
                  f"reduction={reduction!r} instead", UserWarning, stacklevel=3)
    return reduction


def _class_rows(input):
    """The scores as (M, C) rows, one per target, and the shape of the per-target losses."""
    if input.ndim == 1:
        return input.reshape(1, -1), ()
    if input.ndim == 2:
        return input, input.shape[:1]
    moved = input.permute(0, *range(2, input.ndim), 1)  # the class dim last
    return moved.reshape(-1, input.shape[1]), input.shape[:1] + input.shape[2:]


def _class_indices(name, target, input_shape, loss_shape, classes, ignore_index):
    data = target.array if isinstance(target, Tensor) else backend.asarray(target)
    if data.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer class indices, got dtype {data.dtype}")
    if data.shape != loss_shape:
        raise ValueError(f"{name}: input of shape {input_shape} needs a target of shape "
                         f"{loss_shape}, got target of shape {data.shape}")
    valid = data[data != ignore_index]
    if valid.size and backend.host_bool((valid.min() < 0) | (valid.max() >= classes)):
        raise IndexError(f"{name}: target values must be in [0, {classes}) or equal "
                         f"ignore_index={ignore_index}, got values in "
                         f"[{valid.min()}, {valid.max()}]")
    return data.reshape(-1)


def _class_weights(name, weight, classes, dtype):
    """``weight`` as a constant (C,) array of ``dtype`` (no gradient flows to it, as in torch)."""
    if weight is None:
        return None
    data = weight.array if isinstance(weight, Tensor) else backend.asarray(weight)
    if data.shape != (classes,) or data.dtype.kind not in "iuf":
        raise ValueError(f"{name}: weight must be a real array of shape ({classes},), one per "
                         f"class, got dtype {data.dtype} and shape {data.shape}")
    return data.astype(dtype)


def _class_loss(name, scores, target, weight, ignore_index, reduction, label_smoothing=0.0):
    """-w[y] logp[y] per target, smoothed, ignored targets zero, then reduced (see above)."""
    rows, loss_shape = _class_rows(scores)
    classes = rows.shape[1]
    index = _class_indices(name, target, scores.shape, loss_shape, classes, ignore_index)
    weight = _class_weights(name, weight, classes, scores.dtype)
    xp = backend.xp
    keep = index != ignore_index
    safe = xp.where(keep, index, 0)  # any valid row for the ignored; masked out below
    target_weight = (keep if weight is None else keep * weight[safe]).astype(scores.dtype)
    picked = ew.where(keep, rows.gather(1, safe.reshape(-1, 1)).reshape(-1), 0.0)
    loss = -picked * target_weight
    if label_smoothing:
        per_class = rows if weight is None else rows * weight
        smooth = ew.where(keep, -per_class.sum(dim=1), 0.0)
        loss = (1 - label_smoothing) * loss + (label_smoothing / classes) * smooth
    if reduction == "mean":
        total = target_weight.sum()  # stays on the device (no sync per step)
        # every target ignored (or weighted 0): 0 / 0, which PyTorch returns as nan
        return loss.sum() / xp.where(total == 0, xp.nan, total)
    return loss.sum() if reduction == "sum" else loss.reshape(loss_shape)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input``
    ((N, C), (N, C, d1, ...) or (C,)); ``weight`` per class, ``ignore_index`` skipped."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _class_loss("nll_loss", input, target, weight, ignore_index, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits ``input`` ((N, C), (N, C, d1, ...) or (C,)) against
    class indices; ``weight`` per class, ``ignore_index`` skipped, optional label smoothing."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_label_smoothing(label_smoothing)
    if input.ndim == 0:
        raise ValueError("cross_entropy: expected logits of shape (N, C), (N, C, d1, ...) or "
                         "(C,), got a 0-d tensor")
    log_probs = reduce_ops.log_softmax(input, 1 if input.ndim > 1 else 0)
    return _class_loss("cross_entropy", log_probs, target, weight, ignore_index, reduction,
                       label_smoothing)


def check_label_smoothing(label_smoothing):
    """Raise ``ValueError`` unless ``label_smoothing`` is a number in [0, 1]."""
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float)) \
            or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be a number in [0, 1], got {label_smoothing!r}")


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
