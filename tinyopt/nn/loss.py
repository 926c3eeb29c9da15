"""Loss layers: ``MSELoss``, ``CrossEntropyLoss``, ``NLLLoss``, ``BCEWithLogitsLoss``,
``HuberLoss``; each calls its ``nn.functional`` twin with the stored options."""
from . import functional as F
from .functional.loss import check_reduction
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
    """Softmax cross-entropy of (N, C) logits against class indices; optional label smoothing."""

    def __init__(self, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.reduction, self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of class indices under (N, C) log-probabilities."""

    def forward(self, input, target):
        return F.nll_loss(input, target, self.reduction)


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
