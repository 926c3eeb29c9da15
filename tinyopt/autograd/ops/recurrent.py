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

The forward (``step_forward``) writes h' and c' straight into the stacked
output: on float32 NumPy arrays in one compiled pass with a vectorized tanh
(``recurrent_kernel.py``), else the four gates in four whole-array calls
(``gate_values``) and the cell in five (``cell_forward``). A
plain backward takes the formulas below on the arrays the forward kept: in
one compiled pass on NumPy arrays (``recurrent_kernel.py``), else as array
calls; under ``create_graph=True`` the same formulas run on tensors
recomputed from z and c with the graph recorded (``_gates``, ``_step``), so
second derivatives are exact. (Off the compiled pass, sigma(x) is evaluated
as (1 + tanh(x / 2)) / 2, which never overflows.)
"""
import numpy

from ... import backend
from ...kernels.conv_kernels import compiled_loops_take
from ..mode import is_grad_enabled
from ..tensor import Tensor, make_result
from .recurrent_kernel import lstm_step_backward, lstm_step_forward
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


def gate_values(z, out=None):
    """The (N, 4H) gate values of array ``z`` in four whole-array calls (not one per gate).

    sigma(x) = 0.5 tanh(x / 2) + 0.5 and tanh(x) = 1 tanh(x) + 0: one scale
    before the tanh and one scale and shift after, column by column. (This
    rounds as ``_gates`` does: halving is exact, so 0.5 t + 0.5 and
    (1 + t) / 2 are the same float.)"""
    xp = backend.xp
    size = z.shape[-1] // 4
    scale = xp.full(4 * size, 0.5, dtype=z.dtype)
    scale[2 * size:3 * size] = 1
    values = xp.multiply(z, scale, out=out)
    xp.tanh(values, out=values)
    values *= scale
    values += 1 - scale  # 0.5 for the sigmoid gates, 0 for g
    return values


def cell_forward(values, c, h_new, c_new):
    """Write h' and c' (arrays) from the gate ``values`` and the cell ``c``; return tanh(c')."""
    xp = backend.xp
    size = c.shape[-1]
    i, f, g, o = (values[..., k * size:(k + 1) * size] for k in range(4))
    xp.multiply(f, c, out=c_new)
    xp.multiply(i, g, out=h_new)  # h' is written last: its memory holds i g meanwhile
    c_new += h_new
    t = xp.tanh(c_new)
    xp.multiply(o, t, out=h_new)
    return t


def step_forward(z, c, values, h_new, c_new):
    """Gate ``values`` of array ``z`` (N, 4H), h' and c' written from ``c``; return tanh(c').

    float32 NumPy arrays take one compiled pass with a vectorized tanh
    (``recurrent_kernel.py``); other dtypes and arrays the whole-array calls."""
    if compiled_loops_take(z) and z.dtype == numpy.float32 and c.dtype == numpy.float32:
        return lstm_step_forward(z, c, values, h_new, c_new)
    return cell_forward(gate_values(z, out=values), c, h_new, c_new)


def step_backward(values, c, t, dh, dc):
    """(dz, dc_prev) arrays from the gate ``values``, ``c``, t = tanh(c'), ``dh`` and ``dc``."""
    if compiled_loops_take(values):  # one compiled pass (recurrent_kernel.py)
        return lstm_step_backward(values, c, t, dh, dc)
    size = c.shape[-1]
    gates = [values[..., k * size:(k + 1) * size] for k in range(4)]
    dz, dc_prev = _step_grads(dh, dc, gates, c, t)
    return backend.xp.concatenate(dz, axis=-1), dc_prev


def lstm_cell(z, c):
    """(h', c') of the module docstring stacked as (2, N, H), for z (N, 4H) and c (N, H)."""
    xp = backend.xp
    dtype = xp.result_type(z.array, c.array)
    values = xp.empty(z.shape, dtype=dtype)
    data = xp.empty((2,) + c.shape, dtype=dtype)
    t = step_forward(z.array, c.array, values, data[0], data[1])
    out = make_result(data, (z, c), None, "lstm_cell")
    if out.requires_grad:
        def backward(grad):
            if is_grad_enabled():  # create_graph: the same formulas over recorded tensors
                gates = _gates(z, Tensor.tanh)
                _, t_values, _ = _step(gates, c, Tensor.tanh)
                dz, dc_prev = _step_grads(grad[0], grad[1], gates, c, t_values)
                return cat(dz, -1), dc_prev if c.requires_grad else None
            dz, dc_prev = step_backward(values, c.array, t, grad.array[0], grad.array[1])
            return Tensor(dz), Tensor(dc_prev) if c.requires_grad else None
        out._backward = backward
    return out
