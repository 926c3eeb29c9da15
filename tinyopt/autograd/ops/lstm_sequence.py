"""A whole LSTM layer over a sequence as one op: the time loop inside, BPTT by formula.

Given the input's part of every step's pre-activations P (T, N, 4H) (one
matrix product before the loop, ``nn.LSTM``), the initial state h_0, c_0
(N, H) and the recurrent weight W (4H, H), step t computes

    z_t = h_{t-1} W^T + P_t,      (h_t, c_t) = cell(z_t, c_{t-1})

(``recurrent.py``: the gates, the cell). As one op per step (``lstm_steps``,
the simple path) every step adds graph nodes — a product, the cell, slices —
and the backward pays the engine per node and one small dW product per step.
Here the forward runs the loop on arrays, keeping each step's gate values and
tanh(c_t), and returns all states stacked as S (T, 2, N, H) (S[t, 0] = h_t,
S[t, 1] = c_t). Backpropagation through time then goes step by step from the
end, with dh, dc the gradients flowing back into h_t, c_t:

    (dz_t, dc_{t-1}) = cell_backward(dS[t, 0] + dh, dS[t, 1] + dc)
    dh_{t-1} = dz_t W,          dP_t = dz_t,

and the weight's gradient is one product over all steps at the end,
dW = sum_t dz_t^T h_{t-1} = dZ^T H_prev (as PyTorch's fused LSTM does).
Under ``create_graph=True`` the backward rebuilds the layer as ``lstm_steps``
from the saved inputs, graph recorded, and differentiates that: second
derivatives are exact, and the fast path is held equal to it by the tests.
"""
from ... import backend
from ..mode import enable_grad, is_grad_enabled
from ..tensor import Tensor, make_result
from .linalg import linear
from .recurrent import lstm_cell, step_backward, step_forward
from .shape import stack


def lstm_steps(projected, h0, c0, weight_hh):
    """The layer as one op per step (the simple path): S of shape (T, 2, N, H)."""
    h, c, states = h0, c0, []
    for projected_t in projected.unbind(0):
        state = lstm_cell(linear(h, weight_hh, projected_t), c)
        h, c = state.unbind(0)
        states.append(state)
    return stack(states, 0)


def lstm_sequence(projected, h0, c0, weight_hh):
    """S (T, 2, N, H) of the module docstring, for P (T, N, 4H), h_0, c_0 (N, H), W (4H, H)."""
    xp = backend.xp
    steps, batch, width = projected.shape
    size = width // 4
    dtype = xp.result_type(projected.array, weight_hh.array)
    states = xp.empty((steps, 2, batch, size), dtype=dtype)
    gates = xp.empty((steps, batch, width), dtype=dtype)
    tanh_c = xp.empty((steps, batch, size), dtype=dtype)
    h, c, recurrent_t = h0.array, c0.array, weight_hh.array.T
    z = xp.empty((batch, width), dtype=dtype)  # apart from gates[t]: the compiled pass vectorizes
    for t in range(steps):
        xp.matmul(h, recurrent_t, out=z)
        z += projected.array[t]
        tanh_c[t] = step_forward(z, c, gates[t], states[t, 0], states[t, 1])
        h, c = states[t, 0], states[t, 1]
    parents = (projected, h0, c0, weight_hh)
    out = make_result(states, parents, None, "lstm_sequence", saved=parents, saves_output=True)
    if out.requires_grad:
        def backward(grad):
            if is_grad_enabled():  # create_graph: differentiate the per-step graph, rebuilt
                return _recorded_backward(parents, grad)
            dz_all = xp.empty_like(gates)
            dh = dc = xp.zeros((batch, size), dtype=dtype)
            for t in reversed(range(steps)):
                c_prev = c0.array if t == 0 else states[t - 1, 1]
                dz_all[t], dc = step_backward(gates[t], c_prev, tanh_c[t],
                                              grad.array[t, 0] + dh, grad.array[t, 1] + dc)
                dh = dz_all[t] @ weight_hh.array
            h_prev = xp.concatenate([h0.array[None], states[:-1, 0]])
            grad_w = dz_all.reshape(-1, width).T @ h_prev.reshape(-1, size)
            return tuple(Tensor(g) if t.requires_grad else None
                         for t, g in zip(parents, (dz_all, dh, dc, grad_w)))
        out._backward = backward
    return out


def _recorded_backward(parents, grad):
    """The four gradients through ``lstm_steps`` rebuilt, with the backward's graph recorded."""
    from ..engine import grad as autograd_grad  # the engine imports the ops: import late
    wanted = [t for t in parents if t.requires_grad]
    with enable_grad():
        states = lstm_steps(*parents)
    found = iter(autograd_grad([states], wanted, [grad], create_graph=True, allow_unused=True))
    return tuple(next(found) if t.requires_grad else None for t in parents)
