"""One LSTM time step as one op, with its backward by formula.

From the pre-activations z = (z_i, z_f, z_g, z_o) of the four gates (one
matrix product for all four, computed by the layer) and the cell c:

    i, f, o = sigma(z_i), sigma(z_f), sigma(z_o),   g = tanh(z_g)
    c' = f c + i g,     h' = o tanh(c')

The op returns h' and c' stacked as one (2, N, H) tensor. With dh, dc the
gradients reaching h' and c', and t = tanh(c'):

    dc_total = dc + dh o (1 - t^2),          dc_prev = dc_total f
    dz_i = dc_total g i (1 - i),   dz_f = dc_total c f (1 - f)
    dz_g = dc_total i (1 - g^2),   dz_o = dh t o (1 - o)

The formulas below take NumPy arrays or tensors alike: a plain backward runs
them on the arrays the forward kept (a dozen array calls, no graph); under
``create_graph=True`` they run on tensors recomputed from z and c with the
graph recorded, so second derivatives are exact. (sigma(x) is evaluated as
(1 + tanh(x / 2)) / 2, which never overflows.)
"""
from ... import backend
from ..mode import is_grad_enabled
from ..tensor import Tensor, make_result
from .shape import cat


def _gates(z, tanh):
    """i, f, g, o from the (N, 4H) pre-activations, with ``tanh`` of the operand's kind."""
    size = z.shape[-1] // 4
    i, f, g, o = (z[..., k * size:(k + 1) * size] for k in range(4))
    return [(1 + tanh(0.5 * i)) * 0.5, (1 + tanh(0.5 * f)) * 0.5, tanh(g),
            (1 + tanh(0.5 * o)) * 0.5]


def _step(gates, c, tanh):
    """(c', tanh(c'), h') from the gate values and the previous cell."""
    i, f, g, o = gates
    c_new = f * c + i * g
    t = tanh(c_new)
    return c_new, t, o * t


def _step_grads(dh, dc, gates, c, t):
    """The four gate pre-activation gradients and the previous cell's gradient."""
    i, f, g, o = gates
    dc_total = dc + dh * o * (1 - t * t)
    return ([dc_total * g * i * (1 - i), dc_total * c * f * (1 - f), dc_total * i * (1 - g * g),
             dh * t * o * (1 - o)], dc_total * f)


def lstm_cell(z, c):
    """(h', c') of the module docstring stacked as (2, N, H), for z (N, 4H) and c (N, H)."""
    xp = backend.xp
    gates = _gates(z.array, xp.tanh)
    c_new, t, h_new = _step(gates, c.array, xp.tanh)
    out = make_result(xp.stack([h_new, c_new]), (z, c), None, "lstm_cell")
    if out.requires_grad:
        def backward(grad):
            if is_grad_enabled():  # create_graph: the same formulas over recorded tensors
                values = _gates(z, Tensor.tanh)
                _, t_values, _ = _step(values, c, Tensor.tanh)
                dz, dc_prev = _step_grads(grad[0], grad[1], values, c, t_values)
                return cat(dz, -1), dc_prev if c.requires_grad else None
            dz, dc_prev = _step_grads(grad.array[0], grad.array[1], gates, c.array, t)
            return (Tensor(xp.concatenate(dz, axis=-1)),
                    Tensor(dc_prev) if c.requires_grad else None)
        out._backward = backward
    return out

