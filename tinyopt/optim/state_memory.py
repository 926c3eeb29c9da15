"""How much memory an optimizer's state takes: ``state_bytes(optimizer)``.

The state is what an optimizer keeps between steps, per parameter: Adam's
two moments, SGD's momentum buffer, Adafactor's row and column averages,
8-bit Adam's codes and block scales. Its size is what decides whether a model
fits on a device (Adam's 8 bytes per float32 parameter are twice the
parameters' own 4), so the lectures compare it across optimizers::

    >>> opt = tinyopt.optim.Adam(model.parameters())
    >>> opt.step()                                  # state is created lazily
    >>> state_bytes(opt) / sum(p.size for p in model.parameters())
    8.0

What counts: the ``nbytes`` of every array held in ``optimizer.state``
(NumPy or CuPy alike), exactly. What does not: Python numbers kept beside
them (the step count, Adafactor's parameter RMS, ASGD's η and μ), a
constant handful per parameter tensor however large the tensor, and
tables shared by all parameters (8-bit optimizers' two 256-entry
quantization maps). So Adafactor's state for a 1024 x 1024 float32 weight
is exactly 2 x 1024 x 4 bytes. State appears on the first ``step``; before
it every optimizer reports 0.
"""
import numbers


def state_bytes(optimizer):
    """Bytes held in arrays by ``optimizer.state`` (Python numbers count 0, see the module doc)."""
    total = 0
    for entry in optimizer.state.values():
        for value in entry.values():
            total += _array_bytes(value)
    return total


def state_bytes_per_parameter(optimizer):
    """``state_bytes`` divided by the number of elements of the parameters that have state."""
    elements = sum(_size(param) for param, entry in optimizer.state.items() if entry)
    return state_bytes(optimizer) / elements if elements else 0.0


def _array_bytes(value):
    if value is None or isinstance(value, numbers.Number):  # np.float64 is a Number too
        return 0
    if isinstance(value, (list, tuple)):
        return sum(_array_bytes(item) for item in value)
    return int(getattr(value, "nbytes", 0))


def _size(param):
    size = 1
    for extent in param.shape:
        size *= extent
    return size
