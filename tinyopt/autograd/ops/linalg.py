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
from ..mode import autocast_dtype
from ..tensor import Tensor, as_gradients, backward_operands, make_result
from .broadcast import check_same_device, unbroadcast
from .elementwise import bfloat16_round, cast


def autocast_inputs(*tensors):
    """The floating-point ``tensors`` in the dtype of an active ``amp.autocast`` block.

    Emulated bfloat16 stays float32, rounded to bfloat16's precision."""
    dtype = autocast_dtype()
    if dtype is None:
        return tensors
    return tuple(t if t is None or not backend.is_float(t.dtype) else _lowered(t, dtype)
                 for t in tensors)


def autocast_output(out):
    """Round a product's result to bfloat16 inside an emulated-bfloat16 autocast block."""
    return bfloat16_round(out) if autocast_dtype() is backend.bfloat16 else out


def _lowered(t, dtype):
    if dtype is backend.bfloat16:
        return bfloat16_round(t if t.dtype == "float32" else cast(t, "float32"))
    return t if t.dtype == dtype else cast(t, dtype)


def matmul(a, b):
    """``a @ b``: vector dot, matrix product, or batched product with broadcasting."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    check_same_device(a, b)
    if autocast_dtype() is not None:
        a, b = autocast_inputs(a, b)
        return autocast_output(_matmul_shapes(a, b))
    return _matmul_shapes(a, b)


def _matmul_shapes(a, b):
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
        data = backend.xp.matmul(a.array, b.array)
    except ValueError:
        raise ValueError(f"matmul: batch dims of {a_given.shape} and {b_given.shape} cannot be "
                         "broadcast together") from None
    saved = tuple(t for t, other in ((b, a), (a, b)) if other.requires_grad)
    out = make_result(data, (a, b), None, "matmul", saved=saved)
    if out.requires_grad:
        def backward(g):
            plain, (G, A, B) = backward_operands(g, a, b)
            grad_a = unbroadcast(G @ _swap_last(B), a.shape) if a.requires_grad else None
            grad_b = unbroadcast(_swap_last(A) @ G, b.shape) if b.requires_grad else None
            return as_gradients(plain, (grad_a, grad_b))
        out._backward = backward
    return out


def linear(x, weight, bias=None):
    """``x @ weight.T + bias`` for x of shape (..., in) and weight (out, in), as one op.

    ``bias`` broadcasts against the product: (out,) as a layer's, or the
    product's full shape (a recurrent step adds the input's precomputed part
    of its gates this way, without an add node)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    check_same_device(x, weight)
    if autocast_dtype() is not None:
        x, weight, bias = autocast_inputs(x, weight, bias)
        return autocast_output(_linear(x, weight, bias))
    return _linear(x, weight, bias)


def _linear(x, weight, bias):
    # batch dims flattened first: one BLAS product, not one per leading index; the bias
    # is added into the fresh product in place (a second temporary costs as much again)
    data = (_rows(x.array) @ weight.array.T).reshape(x.shape[:-1] + (weight.shape[0],))
    if bias is not None:
        data += bias.array
    parents = (x, weight) if bias is None else (x, weight, bias)
    saved = tuple(t for t, other in ((weight, x), (x, weight)) if other.requires_grad)
    out = make_result(data, parents, None, "linear", saved=saved)
    if out.requires_grad:
        def backward(g):
            plain, (G, X, W) = backward_operands(g, x, weight)
            rows = _rows(G)
            grads = as_gradients(plain, [(rows @ W).reshape(x.shape) if x.requires_grad else None,
                                         rows.T @ _rows(X) if weight.requires_grad else None])
            if bias is None:
                return grads
            if not bias.requires_grad:
                return grads + (None,)
            if bias.shape == g.shape:  # g itself, so the engine sees who else holds it
                return grads + (g,)
            return grads + as_gradients(plain, [unbroadcast(G, bias.shape)])
        out._backward = backward
    return out


def _swap_last(values):
    """The last two axes swapped, of an array or a tensor (a view either way)."""
    return values.transpose(-1, -2) if isinstance(values, Tensor) else values.swapaxes(-1, -2)


def _rows(values):
    """An array or tensor of shape (..., n) as a matrix (rows, n)."""
    return values if values.ndim == 2 else values.reshape(-1, values.shape[-1])


def dot(a, b):
    """The inner product of two 1-D tensors of equal length."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements")
    return (a * b).sum()
