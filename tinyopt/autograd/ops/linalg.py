"""Matrix multiplication with PyTorch's rules for 1-D and batched operands.

For ``C = A @ B``:  dL/dA = G @ B^T,  dL/dB = A^T @ G, each summed over any
batch dimensions that broadcasting added. A 1-D left operand is treated as a
row (1, n) and a 1-D right operand as a column (n, 1); the added axis is
removed from the result, as in ``torch.matmul``.

``linear`` is the dense layer's product as one op, Y = X W^T + b:
dL/dX = G W,  dL/dW = G^T X  and  dL/db = sum of G, with the batch dims of X
and G flattened into one. One op instead of transpose, matmul and add saves
a graph node each, which is most of the cost of a small MLP step.
"""
from ... import backend
from ..tensor import Tensor, make_result
from .broadcast import unbroadcast


def matmul(a, b):
    """``a @ b``: vector dot, matrix product, or batched product with broadcasting."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least 1 dim, got shapes {a.shape} "
                         f"and {b.shape}")
    if a.ndim == 1 and b.ndim == 1:
        return _matmul(a.reshape(1, -1), b.reshape(-1, 1), a, b).reshape(())
    if a.ndim == 1:
        return _matmul(a.unsqueeze(0), b, a, b).squeeze(-2)
    if b.ndim == 1:
        return _matmul(a, b.unsqueeze(-1), a, b).squeeze(-1)
    return _matmul(a, b, a, b)


def _matmul(a, b, a_given, b_given):
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul: shapes {a_given.shape} and {b_given.shape} are not aligned "
                         f"({a.shape[-1]} != {b.shape[-2]})")
    try:
        data = backend.xp.matmul(a.data, b.data)
    except ValueError:
        raise ValueError(f"matmul: batch dims of {a_given.shape} and {b_given.shape} cannot be "
                         "broadcast together") from None
    out = make_result(data, (a, b), None, "matmul")
    if out.requires_grad:
        def backward(g):
            grad_a = unbroadcast(g @ b.transpose(-1, -2), a.shape) if a.requires_grad else None
            grad_b = unbroadcast(a.transpose(-1, -2) @ g, b.shape) if b.requires_grad else None
            return grad_a, grad_b
        out._backward = backward
    return out


def linear(x, weight, bias=None):
    """``x @ weight.T + bias`` for x of shape (..., in) and weight (out, in), as one op."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    data = x.data @ weight.data.T
    if bias is not None:
        data = data + bias.data
    parents = (x, weight) if bias is None else (x, weight, bias)
    out = make_result(data, parents, None, "linear")
    if out.requires_grad:
        def backward(g):
            rows = g.reshape(-1, g.shape[-1])
            grad_x = g @ weight if x.requires_grad else None
            grad_w = rows.T @ x.reshape(-1, x.shape[-1]) if weight.requires_grad else None
            if bias is None:
                return grad_x, grad_w
            return grad_x, grad_w, rows.sum(dim=0) if bias.requires_grad else None
        out._backward = backward
    return out
