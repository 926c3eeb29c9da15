"""``Parameter``: a tensor that a ``Module`` registers as trainable."""
from .. import backend
from ..autograd import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and is found by ``Module.parameters()``.

    As every Tensor: ``p.data`` is a Tensor sharing its memory, ``p.grad`` a
    Tensor (or None), ``p.array`` the raw backend array that optimizers
    update in place (each ``step()`` bumps ``p._version``).
    """

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            data = data.array
        data = backend.asarray(data)
        if not backend.is_float(data.dtype):
            data = data.astype(backend.default_dtype())
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
