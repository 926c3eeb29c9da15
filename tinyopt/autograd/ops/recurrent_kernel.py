"""The LSTM step in compiled loops: its float32 forward and its backward (``ops/recurrent.py``).

**Forward** (float32 NumPy arrays): the gate values from the pre-activations
z and the new state, one pass over each row,

    i, f, o = sigma(z) = 1 / (1 + e^-z),   g = tanh(z_g),   c' = f c + i g,   h' = o tanh(c')

NumPy's float32 ``tanh`` is a scalar loop (some 5 ns a value here, the LSTM
forward's largest cost). The loop below builds both functions from e^y - 1
with arithmetic the compiler turns into vector instructions, in float64, and
rounds once to float32. For 0 <= y <= 0.3125 * 2^k and u = y / 2^k:

    a_0 = e^u - 1 = u + u^2/2! + ... + u^9/9!        (truncation < 3e-12 relative)
    a_{m+1} = a_m (2 + a_m)                         (= e^{2^(m+1) u} - 1; a_k = e^y - 1)

Squaring 1 + a as a (2 + a) keeps the relative error small for small y (no
1 - 1 cancellation); k squarings multiply it by 2^k. Then, with a = e^y - 1:

    tanh(x) = sign(x) a / (a + 2),   y = 2 min(|x|, 10), k = 6   (tanh rounds to 1 past 10)
    sigma(x) = (a + 1) / (a + 2) for x > 0, 1 / (a + 2) else,   y = min(|x|, 104), k = 9

(sigma rounds to 1, or to 0, past 104). Both are within ~2e-9 of the exact
value, relative, far below float32's half ulp (3e-8): the rounded value is
the correctly rounded one but at rare near-ties (``tests/test_fused_ops.py``
checks a quarter million values: at most 1 ulp). The tiny sigmoids of very
negative inputs keep their relative precision (0.5 + 0.5 tanh(x / 2) would
round them to 0). NaN stays NaN (the clamps keep it), tanh(+-inf) = +-1,
tanh(-0) = -0. The products and sums of the cell are float32, as NumPy
rounds them. float64 keeps NumPy's exact functions (``recurrent.gate_values``,
``cell_forward``). One 64 x 64 step (the course LSTM's): 61 us, against 172 us
for the whole-array calls.

**Backward** (float32 and float64): per batch row n and hidden unit j, from
the gate values i, f, g, o (the forward kept them as one (N, 4H) array), the
previous cell c, t = tanh(c') and the gradients dh, dc reaching h' and c':

    dc_total = dc + dh o (1 - t^2),          dc_prev = dc_total f
    dz_i = dc_total g i (1 - i),   dz_f = dc_total c f (1 - f)
    dz_g = dc_total i (1 - g^2),   dz_o = dh t o (1 - o)

In NumPy that is some twenty array calls on arrays of N*H values; at a
course LSTM's size (64 x 64) each call costs more in overhead than in
arithmetic, and the loop below does all of it in one pass (no transcendental
function: the forward's tanh values are reused).

Both loops are compiled on first use and cached on disk (``cache=True``);
``recurrent.step_forward`` and ``recurrent.step_backward`` (the op of
``lstm_cell`` and of each step of ``lstm_sequence``) take them where
``compiled_loops_take`` says and keep the array formulas elsewhere;
``tests/test_fused_ops.py`` holds both to the gate-by-gate composite.
"""
import numpy

_kernels = None


def _compile():
    import math

    import numba

    # fastmath "contract" only fuses a * b + c into one rounding (no NaN/inf assumptions)
    @numba.njit(inline="always", fastmath={"contract"})
    def expm1_series(u):  # e^u - 1 for |u| <= 0.3125 (module docstring)
        return u * (1 + u * (1 / 2 + u * (1 / 6 + u * (1 / 24 + u * (1 / 120 + u * (
            1 / 720 + u * (1 / 5040 + u * (1 / 40320 + u * (1 / 362880)))))))))

    @numba.njit(inline="always", fastmath={"contract"})
    def tanh(x):  # float64 in and out
        y = abs(x)
        a = expm1_series((10.0 if y > 10.0 else y) * (2 / 64))  # not min(): NaN stays NaN
        for _ in range(6):
            a = a * (2 + a)  # e^{2y} - 1 at the end
        return math.copysign(a / (a + 2), x)

    @numba.njit(inline="always", fastmath={"contract"})
    def sigmoid(x):  # float64 in and out
        y = abs(x)
        a = expm1_series((104.0 if y > 104.0 else y) * (1 / 512))
        for _ in range(9):
            a = a * (2 + a)  # e^y - 1 at the end
        return (a + 1 if x > 0 else 1.0) / (a + 2)

    @numba.njit(cache=True, error_model="numpy", fastmath={"contract"})
    def step_forward(z, c, values, h_new, c_new, t):
        rows, size = c.shape
        for n in range(rows):
            z_row, row = z[n], values[n]
            for j in range(2 * size):  # i, f: one function per loop, so that each vectorizes
                row[j] = numpy.float32(sigmoid(numpy.float64(z_row[j])))
            for j in range(2 * size, 3 * size):  # g
                row[j] = numpy.float32(tanh(numpy.float64(z_row[j])))
            for j in range(3 * size, 4 * size):  # o
                row[j] = numpy.float32(sigmoid(numpy.float64(z_row[j])))
            c_row, h_out, c_out, t_out = c[n], h_new[n], c_new[n], t[n]
            for j in range(size):  # f c and i g stored, so that no fused multiply-add
                c_out[j] = row[size + j] * c_row[j]  # joins them: rounded as NumPy rounds
                h_out[j] = row[j] * row[2 * size + j]
            for j in range(size):
                c_out[j] += h_out[j]
                tanh_c = numpy.float32(tanh(numpy.float64(c_out[j])))
                t_out[j] = tanh_c
                h_out[j] = row[3 * size + j] * tanh_c

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
    return step_forward, step_backward


def _compiled():
    global _kernels
    if _kernels is None:
        _kernels = _compile()
    return _kernels


def lstm_step_forward(z, c, values, h_new, c_new):
    """Write the gate ``values`` of (N, 4H) float32 ``z``, and h', c' from (N, H) ``c``;
    return tanh(c'). (``values`` may be ``z`` itself; the loop vectorizes when no two
    arrays overlap.)"""
    t = numpy.empty(c.shape, dtype=numpy.float32)
    _compiled()[0](z, c, values, h_new, c_new, t)
    return t


def lstm_step_backward(gates, c, t, dh, dc):
    """``(dz, dc_prev)`` for (N, 4H) ``gates`` and (N, H) ``c``, ``t``, ``dh``, ``dc``."""
    dz = numpy.empty(gates.shape, dtype=gates.dtype)
    dc_prev = numpy.empty(c.shape, dtype=gates.dtype)
    _compiled()[1](gates, c, t, dh, dc, dz, dc_prev)
    return dz, dc_prev
