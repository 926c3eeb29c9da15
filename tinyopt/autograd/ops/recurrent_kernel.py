"""The LSTM step's backward in one compiled loop (``ops/recurrent.py`` has the formulas).

Per batch row n and hidden unit j, from the gate values i, f, g, o (the
forward kept them as one (N, 4H) array), the previous cell c, t = tanh(c')
and the gradients dh, dc reaching h' and c':

    dc_total = dc + dh o (1 - t^2),          dc_prev = dc_total f
    dz_i = dc_total g i (1 - i),   dz_f = dc_total c f (1 - f)
    dz_g = dc_total i (1 - g^2),   dz_o = dh t o (1 - o)

In NumPy that is some twenty array calls on arrays of N*H values; at a
course LSTM's size (64 x 64) each call costs more in overhead than in
arithmetic, and the loop below does all of it in one pass (no transcendental
function: the forward's tanh values are reused). Compiled on first use and
cached on disk (``cache=True``); ``recurrent.step_backward`` (the backward of
``lstm_cell`` and of each step of ``lstm_sequence``) takes it where
``compiled_loops_take`` says and keeps the array formulas elsewhere;
``tests/test_fused_ops.py`` holds both to the gate-by-gate composite.
"""
import numpy

_kernel = None


def _compile():
    import numba

    @numba.njit(cache=True, error_model="numpy")
    def step_backward(gates, c, t, dh, dc, dz, dc_prev):
        rows, size = c.shape
        for n in range(rows):
            for j in range(size):
                i, f = gates[n, j], gates[n, size + j]
                g, o = gates[n, 2 * size + j], gates[n, 3 * size + j]
                tanh_c = t[n, j]
                total = dc[n, j] + dh[n, j] * o * (1 - tanh_c * tanh_c)
                dz[n, j] = total * g * i * (1 - i)
                dz[n, size + j] = total * c[n, j] * f * (1 - f)
                dz[n, 2 * size + j] = total * i * (1 - g * g)
                dz[n, 3 * size + j] = dh[n, j] * tanh_c * o * (1 - o)
                dc_prev[n, j] = total * f
    return step_backward


def lstm_step_backward(gates, c, t, dh, dc):
    """``(dz, dc_prev)`` for (N, 4H) ``gates`` and (N, H) ``c``, ``t``, ``dh``, ``dc``."""
    global _kernel
    if _kernel is None:
        _kernel = _compile()
    dz = numpy.empty(gates.shape, dtype=gates.dtype)
    dc_prev = numpy.empty(c.shape, dtype=gates.dtype)
    _kernel(gates, c, t, dh, dc, dz, dc_prev)
    return dz, dc_prev
