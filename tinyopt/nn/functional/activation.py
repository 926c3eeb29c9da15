"""Activation functions and dropout, as in ``torch.nn.functional``."""
from ... import backend
from ...autograd.ops import elementwise as ew
from ...autograd.ops import reduce


def relu(x):
    """max(x, 0)."""
    return ew.relu(x)


def gelu(x, approximate="none"):
    """x * Phi(x), or its tanh approximation with ``approximate="tanh"``."""
    return ew.gelu(x, approximate)


def sigmoid(x):
    """1 / (1 + e^-x)."""
    return ew.sigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return ew.tanh(x)


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, linear above ``threshold`` (PyTorch's rule)."""
    return ew.softplus(x, beta, threshold)


def softmax(x, dim):
    """exp(x) / sum(exp(x)) along ``dim``."""
    return reduce.softmax(x, dim)


def log_softmax(x, dim):
    """log(softmax(x)) along ``dim``, computed stably."""
    return reduce.log_softmax(x, dim)


def logsumexp(x, dim, keepdim=False):
    """log(sum(exp(x))) along ``dim``, computed stably."""
    return reduce.logsumexp(x, dim, keepdim)


def dropout(x, p=0.5, training=True):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (training only)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = backend.rng().random(x.shape) >= p
    return x * backend.asarray(keep / (1.0 - p), dtype=x.dtype)
