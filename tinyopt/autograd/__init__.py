"""tinyopt's automatic differentiation: ``Tensor``, the graph, backward, ``grad``, ``gradcheck``."""
from .engine import grad
from .gradcheck import GradcheckError, gradcheck
from .mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor, tensor
from .ops.elementwise import where
from .ops.shape import cat, stack, unbind

__all__ = ["Tensor", "tensor", "grad", "gradcheck", "GradcheckError", "no_grad",
           "enable_grad", "is_grad_enabled", "set_grad_enabled", "where", "cat", "stack",
           "unbind"]
