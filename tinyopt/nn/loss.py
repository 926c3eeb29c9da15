"""Loss layers: ``MSELoss``, ``CrossEntropyLoss``, ``NLLLoss``, ``BCEWithLogitsLoss``,
``HuberLoss``; each calls its ``nn.functional`` twin with the stored options."""
import numbers

from .. import backend
from ..autograd import Tensor
from . import functional as F
from .functional.loss import check_label_smoothing, check_reduction, legacy_reduction
from .module import Module


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        check_reduction(reduction)
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error between input and target of the same shape."""

    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of (N, C) or (N, C, d1, ...) logits against class indices.

    ``weight`` rescales each class, targets equal to ``ignore_index`` are
    skipped, and the 'mean' divides by the summed weight of the targets kept
    (see ``functional/loss.py``); optional label smoothing. ``size_average``
    and ``reduce`` are PyTorch's deprecated spellings of ``reduction``.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(legacy_reduction(size_average, reduce, reduction))
        check_label_smoothing(label_smoothing)
        self.register_buffer("weight", _class_weight(weight))
        self.ignore_index, self.label_smoothing = _index(ignore_index), label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of class indices under (N, C) or (N, C, d1, ...)
    log-probabilities, with ``weight`` and ``ignore_index`` as ``CrossEntropyLoss``."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(legacy_reduction(size_average, reduce, reduction))
        self.register_buffer("weight", _class_weight(weight))
        self.ignore_index = _index(ignore_index)

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


def _class_weight(weight):
    """A class-weight vector, kept as a buffer (saved, not trained) as in PyTorch."""
    if weight is None:
        return None
    data = weight.array if isinstance(weight, Tensor) else backend.asarray(weight)
    if data.ndim != 1 or data.dtype.kind not in "iuf":
        raise ValueError(f"weight must be a 1-D real array with one entry per class, got "
                         f"dtype {data.dtype} and shape {data.shape}")
    return Tensor(data)


def _index(ignore_index):
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise ValueError(f"ignore_index must be an int, got {ignore_index!r}")
    return ignore_index


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits; ``pos_weight`` scales the positive term."""

    def __init__(self, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.pos_weight = pos_weight

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.reduction, self.pos_weight)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, linear above."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        if delta <= 0:
            raise ValueError(f"delta must be > 0, got {delta}")
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, self.reduction, self.delta)
