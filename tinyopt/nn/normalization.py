"""Normalisation layers: ``LayerNorm`` and ``BatchNorm1d``/``BatchNorm2d``.

    y = (x - mean) / sqrt(var + eps) * gamma + beta

LayerNorm takes mean and (biased) variance over each sample's trailing dims;
BatchNorm over the batch (and spatial) dims per channel, and keeps running
averages of them for evaluation.
"""
from .. import backend
from ..autograd import Tensor
from . import functional as F
from .module import Module
from .parameter import Parameter


def _filled(shape, value):
    return backend.xp.full(shape, value, dtype=backend.default_dtype())


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dims; learnable weight and bias."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) \
            else tuple(normalized_shape)
        if eps <= 0:
            raise ValueError(f"eps must be > 0, got {eps}")
        self.normalized_shape, self.eps = shape, eps
        self.weight = Parameter(_filled(shape, 1.0)) if elementwise_affine else None
        self.bias = Parameter(_filled(shape, 0.0)) if elementwise_affine and bias else None

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}"


class _BatchNorm(Module):
    """Shared body of BatchNorm1d/2d; subclasses say which input ranks they accept.

    ``momentum`` weighs each new batch in the running statistics; ``None``
    makes them the plain average over all batches seen, as in PyTorch.
    """

    input_ranks = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True):
        super().__init__()
        if not isinstance(num_features, int) or num_features <= 0:
            raise ValueError(f"num_features must be a positive int, got {num_features!r}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1] or None, got {momentum}")
        if eps <= 0:
            raise ValueError(f"eps must be > 0, got {eps}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(_filled(num_features, 1.0)) if affine else None
        self.bias = Parameter(_filled(num_features, 0.0)) if affine else None
        self.track_running_stats = track_running_stats
        # buffers, as in PyTorch: saved in state_dict, not trained (absent when not tracked)
        def buffer(array):
            return Tensor(array) if track_running_stats else None
        self.register_buffer("running_mean", buffer(_filled(num_features, 0.0)))
        self.register_buffer("running_var", buffer(_filled(num_features, 1.0)))
        self.register_buffer("num_batches_tracked", buffer(backend.xp.zeros((), "int64")))

    def forward(self, x):
        if x.ndim not in self.input_ranks or x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) expects input of rank "
                             f"{self.input_ranks} with {self.num_features} channels in dim 1, "
                             f"got shape {x.shape}")
        use_batch = self.training or not self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array += 1
            if self.momentum is None:  # a cumulative (equal-weight) average of all batches
                momentum = 1.0 / float(self.num_batches_tracked.array)
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            use_batch, momentum, self.eps)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input."""

    input_ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input."""

    input_ranks = (4,)
