"""Norms where PyTorch keeps them: ``tinyopt.linalg.norm`` and ``vector_norm``."""
from .autograd.functions import _t
from .autograd.ops.reduce import vector_norm as _vector_norm


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ``ord``-norm of ``x`` as a vector (over ``dim``; all elements when None)."""
    x = _t(x) if dtype is None else _t(x).to(dtype)
    return _vector_norm(x, ord, dim, keepdim)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """The vector norm of ``A`` (``ord`` 2 by default), as ``torch.linalg.norm`` for vectors.

    Matrix norms (``ord='fro'`` over two dims is the 2-norm of the elements) are
    the vector norms of the flattened matrix; spectral and nuclear norms are
    not provided."""
    if ord in (None, "fro"):
        ord = 2
    elif isinstance(ord, str):
        raise ValueError(f"norm: ord {ord!r} is not supported (use a number or 'fro')")
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)
