"""tinyopt: deep-learning optimization, taught in pure NumPy with its own autograd.

The public face follows PyTorch's, so the course's PyTorch code runs with
only its imports changed: ``Tensor``, ``tensor()``, the factory functions
(``zeros``, ``randn``, ``*_like``, ...), the math functions (``sqrt``,
``max``, ``norm``, ...), dtypes (``tinyopt.float32``, ...), ``device``,
``no_grad``, ``manual_seed``, ``save``/``load`` (checkpoints that run no code), and the
packages ``nn``, ``optim``, ``amp``,
``cuda``, ``linalg`` and ``data``.
"""
import numpy as _numpy

from . import allocator as _allocator, backend
from .autograd import (Tensor, cat, enable_grad, grad, gradcheck, is_grad_enabled, no_grad,
                       set_grad_enabled, stack, tensor, where)
from .autograd.creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full,
                                full_like, linspace, ones, ones_like, rand, rand_like, randint,
                                randn, randn_like, zeros, zeros_like)
from .autograd.functions import (abs, add, allclose, argmax, argmin, clamp, clip, cos, div, dot,
                                 equal, exp, flatten, is_floating_point, is_tensor, isfinite,
                                 isinf, isnan, lerp, log, log_softmax, matmul, max, maximum, mean,
                                 min, minimum, mul, neg, norm, numel, pow, prod, relu, reshape,
                                 rsqrt, sigmoid, sign, sin, softmax, sqrt, square, sub, sum, tanh,
                                 transpose)
from .backend import bfloat16, device, manual_seed, set_default_dtype
from .serialization import load, save
from . import amp, cuda, data, distributed, linalg, nn, optim

float16 = half = _numpy.dtype("float16")
float32 = float = _numpy.dtype("float32")
float64 = double = _numpy.dtype("float64")
int8, uint8, int16 = _numpy.dtype("int8"), _numpy.dtype("uint8"), _numpy.dtype("int16")
int32 = int = _numpy.dtype("int32")
int64 = long = _numpy.dtype("int64")
bool = _numpy.dtype("bool")

_allocator.reuse_freed_memory()  # freed arrays are reused, not page-faulted in again


def get_default_dtype():
    """The float dtype new tensors get (float32 unless ``set_default_dtype`` changed it)."""
    return backend.default_dtype()


__version__ = "0.1.0"
