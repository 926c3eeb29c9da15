"""Helpers shared by the data modules: turning arrays into tensors, checking
arguments, and making the host-side random generators that data is drawn from.

Data is generated and parsed on the host with NumPy (that is bookkeeping, not
math), then moved once to the backend with ``backend.to_device``.
"""
import numbers

import numpy

from .. import backend


def tensor_class():
    """The ``Tensor`` class, imported on first use so that ``tinyopt.data``
    can be imported while the autograd package is still loading."""
    from ..autograd.tensor import Tensor
    return Tensor


def is_tensor(value):
    """True when ``value`` is a tinyopt ``Tensor``."""
    return isinstance(value, tensor_class())


def as_tensor(value):
    """``value`` as a ``Tensor``, following the data-loading dtype rule.

    A ``Tensor`` is returned unchanged (it keeps its dtype). Anything else
    becomes a backend array: floating-point values take the default float
    dtype (float32 unless changed), integer and boolean values keep theirs.
    """
    if is_tensor(value):
        return value
    array = backend.asarray(value)
    if backend.is_float(array.dtype) and array.dtype != backend.default_dtype():
        array = array.astype(backend.default_dtype())
    return tensor_class()(array)


def float_tensor(host_array):
    """A host array moved to the backend as a tensor of the default float dtype."""
    array = backend.to_device(numpy.asarray(host_array, dtype=backend.default_dtype()))
    return tensor_class()(array)


def label_tensor(host_array, dtype=numpy.int64):
    """A host array of class labels moved to the backend as an int64 tensor."""
    return tensor_class()(backend.to_device(numpy.asarray(host_array, dtype=dtype)))


def check_positive_int(name, value):
    """Raise ``ValueError`` unless ``value`` is an int >= 1 (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_non_negative(name, value):
    """Raise ``ValueError`` unless ``value`` is a real number >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


def check_seed(seed):
    """Raise ``ValueError`` unless ``seed`` is None or a non-negative integer."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be None or a non-negative integer, got {seed!r}")
    return int(seed)


def host_rng(seed):
    """A NumPy generator for host-side sampling.

    With an integer ``seed`` the draws are fixed by that seed alone. With
    ``seed=None`` a fresh seed is taken from ``backend.rng()``, so the draws
    follow ``tinyopt.manual_seed``.
    """
    seed = check_seed(seed)
    if seed is None:
        seed = int(backend.rng().integers(0, 2**62))
    return numpy.random.default_rng(seed)
