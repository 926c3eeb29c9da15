"""Broadcasting in one place: undoing it in backward, and naming shapes in errors.

Following MyGrad and HIPS autograd, the gradient of a broadcast operand is the
output gradient summed over the leading axes that broadcasting added and over
the axes where the operand had size 1. Every binary op calls ``unbroadcast``
once, so its own gradient rule stays a one-liner.
"""
import numbers

from ..tensor import Tensor


def unbroadcast(grad, shape):
    """Sum ``grad`` (a Tensor, or an array in a plain backward) down to ``shape``, undoing
    NumPy/PyTorch broadcasting."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    return grad.sum(axis=axes).reshape(shape)  # axis=: an array (plain backward) or a Tensor


def operand(value):
    """Split an operand into (array or Python scalar, Tensor or None).

    Python numbers stay Python numbers so that ``float32_tensor * 0.5`` stays
    float32 (NumPy's "weak scalar" promotion); NumPy scalars such as
    ``np.sqrt(d)`` become Python numbers first, as in PyTorch, or they would
    promote float32 to float64. Arrays become constant tensors.
    """
    if isinstance(value, Tensor):
        return value.array, value
    if isinstance(value, numbers.Number):
        return (value.item() if hasattr(value, "item") else value), None
    constant = Tensor(value)
    return constant.array, constant


def check_same_device(a, b):
    """Raise PyTorch's error when two tensors of one op live on different devices."""
    if a is not None and b is not None and type(a.array) is not type(b.array):
        first, second = a.device, b.device
        if first != second:
            raise RuntimeError("Expected all tensors to be on the same device, but found at "
                               f"least two devices, {first} and {second}!")


def broadcast_apply(op, function, a, b):
    """``function(a, b)``, re-raising a broadcast failure with the op and both shapes."""
    try:
        return function(a, b)
    except ValueError as error:
        if "broadcast" not in str(error):
            raise
        raise ValueError(f"{op}: shapes {_shape(a)} and {_shape(b)} cannot be broadcast "
                         "together") from None


def _shape(value):
    return getattr(value, "shape", ())
