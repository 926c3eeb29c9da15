"""Dense layers: ``Linear`` (y = x W^T + b), ``Embedding`` (row lookup), ``Identity``."""
from .. import backend
from . import functional as F
from . import init
from .functional.layers import padding_index
from .module import Module
from .parameter import Parameter


def _empty(*shape):
    return Parameter(backend.xp.empty(shape, dtype=backend.default_dtype()))


def _positive(name, value):
    if not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features), PyTorch's default init."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        _positive("in_features", in_features)
        _positive("out_features", out_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = _empty(out_features, in_features)
        self.bias = _empty(out_features) if bias else None
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, " \
               f"bias={self.bias is not None}"


class Embedding(Module):
    """A table of ``num_embeddings`` vectors looked up by integer index; N(0, 1) init.

    ``padding_idx`` (negative counts from the end) names a padding row: it
    starts at zero and receives no gradient, so it stays as set.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None):
        super().__init__()
        _positive("num_embeddings", num_embeddings)
        _positive("embedding_dim", embedding_dim)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_index(padding_idx, num_embeddings)
        self.weight = _empty(num_embeddings, embedding_dim)
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    def forward(self, indices):
        return F.embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else text + f", padding_idx={self.padding_idx}"


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

    def forward(self, x):
        return x
