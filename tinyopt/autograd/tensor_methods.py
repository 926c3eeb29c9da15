"""``Tensor``'s reduction and shape methods (mixed in), with PyTorch's argument names.

``dim``/``keepdim`` as in PyTorch, NumPy's ``axis``/``keepdims`` accepted as
aliases; ``reshape(2, 3)`` and ``reshape((2, 3))`` alike. Each method is the
op of the same name in ``ops.reduce`` or ``ops.shape``.
"""


class ReductionMethods:
    """sum, mean, var, std, max/min (with indices), argmax/argmin, norm, prod, softmax, ..."""

    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Sum over ``dim`` (an int, a tuple, or None for all)."""
        return _rd.sum(self, _dim(dim, axis), _keep(keepdim, keepdims))

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Mean over ``dim`` (an int, a tuple, or None for all)."""
        return _rd.mean(self, _dim(dim, axis), _keep(keepdim, keepdims))

    def var(self, dim=None, keepdim=False, *, correction=1, unbiased=None, axis=None,
            keepdims=None):
        """Variance over ``dim`` with ``correction`` (1: unbiased, as PyTorch's default)."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        return _rd.var(self, _dim(dim, axis), _keep(keepdim, keepdims), correction)

    def std(self, dim=None, keepdim=False, *, correction=1, unbiased=None, axis=None,
            keepdims=None):
        """Standard deviation: the square root of ``var`` with the same arguments.

        Where all values are equal the gradient is 0 (PyTorch's choice), not nan."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        return _rd.std(self, _dim(dim, axis), _keep(keepdim, keepdims), correction)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The maximum; with ``dim``, a ``(values, indices)`` pair as in PyTorch."""
        return _rd.extreme(self, _dim(dim, axis), _keep(keepdim, keepdims), "max")

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The minimum; with ``dim``, a ``(values, indices)`` pair as in PyTorch."""
        return _rd.extreme(self, _dim(dim, axis), _keep(keepdim, keepdims), "min")

    def argmax(self, dim=None, keepdim=False, *, axis=None):
        """Indices of the maxima along ``dim`` (flattened when None); no gradient."""
        return _rd.argextreme(self, _dim(dim, axis), keepdim, "max")

    def argmin(self, dim=None, keepdim=False, *, axis=None):
        """Indices of the minima along ``dim`` (flattened when None); no gradient."""
        return _rd.argextreme(self, _dim(dim, axis), keepdim, "min")

    def norm(self, p=2, dim=None, keepdim=False):
        """The ``p``-norm over ``dim`` (all elements when None), as ``torch.Tensor.norm``."""
        return _rd.vector_norm(self, p, dim, keepdim)

    def prod(self, dim=None, keepdim=False):
        """Product over ``dim`` (one int, or None for all elements)."""
        return _rd.prod(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(x))) along ``dim``, computed without overflow."""
        return _rd.logsumexp(self, dim, keepdim)

    def softmax(self, dim):
        """Softmax along ``dim`` (shifted by the maximum for stability)."""
        return _rd.softmax(self, dim)

    def log_softmax(self, dim):
        """Log of the softmax along ``dim``, computed stably."""
        return _rd.log_softmax(self, dim)



class ShapeMethods:
    """reshape/view, flatten, transpose, permute, squeeze/unsqueeze, expand, indexing, gather."""

    def reshape(self, *shape):
        """The same values in a new shape (one entry may be -1)."""
        return _sh.reshape(self, _shape_args(shape))

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge dimensions ``start_dim..end_dim`` into one."""
        return _sh.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1):
        """Swap two dimensions."""
        return _sh.transpose(self, dim0, dim1)

    def permute(self, *dims):
        """Reorder all dimensions."""
        return _sh.permute(self, _shape_args(dims))

    def squeeze(self, dim=None):
        """Remove size-1 dimensions (only ``dim`` when given)."""
        return _sh.squeeze(self, dim)

    def unsqueeze(self, dim):
        """Insert a size-1 dimension at ``dim``."""
        return _sh.unsqueeze(self, dim)

    def expand(self, *shape):
        """Broadcast to ``shape`` without copying (-1 keeps a dimension)."""
        return _sh.expand(self, _shape_args(shape))

    def __getitem__(self, index):
        return _sh.getitem(self, index)

    def unbind(self, dim=0):
        """The slices along ``dim`` as a tuple; their gradients are stacked back."""
        return _sh.unbind(self, dim)

    def gather(self, dim, index):
        """Pick ``self[..., index[i, j], ...]`` along ``dim`` (PyTorch's gather)."""
        return _sh.gather(self, dim, index)

def _dim(dim, axis):
    if axis is not None:
        if dim is not None:
            raise TypeError("give either dim or its alias axis, not both")
        return axis
    return dim


def _keep(keepdim, keepdims):
    return keepdim if keepdims is None else keepdims


def _shape_args(shape):
    """Accept both ``reshape(2, 3)`` and ``reshape((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


_rd = _sh = None  # ops.reduce and ops.shape, bound by tensor.py once Tensor exists (they import it)
