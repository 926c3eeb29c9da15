"""tinyopt: deep-learning optimization, taught in pure NumPy with its own autograd.

The public face: ``Tensor``, ``tensor()``, ``no_grad``, ``manual_seed`` and the
``nn``, ``optim`` and ``data`` packages, named as in PyTorch.
"""
from . import backend
from .autograd import (Tensor, cat, enable_grad, grad, gradcheck, is_grad_enabled, no_grad,
                       stack, tensor, where)
from .backend import manual_seed
from . import data, nn, optim

__version__ = "0.1.0"
