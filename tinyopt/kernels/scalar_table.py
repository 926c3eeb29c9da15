"""A rule's scalars: Python numbers, or 0-d arrays that stay where they were computed.

Most scalars an optimizer hands its rule (lr, momentum, bias corrections)
are Python numbers made from step counts. A few come from reductions over
the arrays: LARS's and LAMB's trust ratios ``‖θ‖/‖u‖``, Adafactor's RMS,
Prodigy's estimate d. Those are 0-d backend arrays, and on a GPU they stay
there: ``float(ratio)`` would copy the value to the host and wait for the
GPU to finish everything before it (a "host round trip"). So a scalar may be
either, and the executors take both:

- the numpy executor calls the rule on whole arrays. ``rule_scalars`` turns
  a 0-d NumPy value into a Python number, for the same numbers as before: a
  NumPy scalar is "strong" (NEP 50; a float64 one would make a float32 rule
  compute in float64) where a Python number is "weak" like a literal. A 0-d
  device array is passed as it is;
- a compiled executor (numba, cupy) reads the scalars from a table, one row
  per segment of the flat buffers, in the parameters' dtype.
  ``scalar_table`` builds it on the host from numbers, and on the device
  when a row holds a device scalar: the numbers are uploaded in one copy and
  the device scalars written into their cells by one scatter, so nothing
  comes back to the host;
- neighbouring segments whose scalars are equal share one row
  (``same_scalars``); a device scalar equals only itself, as comparing two
  would be a host read.
"""
import numpy

from .. import backend


def is_on_device(value):
    """True for an array of a device backend (CuPy, the strict stand-in), not NumPy's."""
    return isinstance(value, backend.xp.ndarray) and not isinstance(value, numpy.ndarray)


def rule_scalars(scalars):
    """``scalars`` as the numpy executor hands them to a rule: 0-d NumPy values as Python
    numbers (weak in NumPy's promotion, as literals), device arrays as they are."""
    return [scalar.item() if isinstance(scalar, (numpy.ndarray, numpy.generic)) else scalar
            for scalar in scalars]


def same_scalars(row, other):
    """True when two rows of scalars are equal, without reading a device scalar."""
    if backend.xp is numpy:  # every scalar is on the host
        return row is other or row == other
    return row is other or all(a is b or not (is_on_device(a) or is_on_device(b)) and a == b
                               for a, b in zip(row, other))


def scalar_table(rows, width, dtype):
    """``rows`` (each ``width`` scalars) as a ``(len(rows), width)`` table of ``dtype``: a NumPy
    array, or a device array when any scalar is on the device."""
    cells = [] if backend.xp is numpy else [
        (position, scalar) for position, scalar in enumerate(
            scalar for row in rows for scalar in row) if is_on_device(scalar)]
    if not cells:
        return numpy.array(rows, dtype=dtype).reshape(len(rows), width)
    host = numpy.array([[0.0 if is_on_device(scalar) else scalar for scalar in row]
                        for row in rows], dtype=dtype).reshape(-1)
    xp = backend.xp
    table = xp.asarray(host)
    positions, values = zip(*cells)
    table[xp.asarray(numpy.array(positions))] = xp.stack(values).astype(dtype)
    return table.reshape(len(rows), width)
