"""Layer normalisation of NumPy rows in compiled loops: one pass per row each way.

The formulas are those of ``layer_norm.py`` on a matrix whose rows are the
samples (the normalised dims flattened):

    forward:  mu, r = 1 / sqrt(var + eps), x_hat = (x - mu) r, y = x_hat * gamma + beta
    backward: dx = r * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat)),  g_hat = g * gamma
              dgamma = sum over rows of g * x_hat,    dbeta = sum over rows of g

In NumPy each line is a pass over the whole array with a temporary; the
loops read each row once (sums accumulate in float64). They are compiled on
first use and cached on disk (``cache=True``); ``layer_norm.py`` takes them
for NumPy arrays in a plain pass, and ``tests/test_attention_fast_paths.py``
holds them equal to the tensor formula (float64, 1e-10).
"""
import numpy

_kernels = None


def _compile():
    import numba

    @numba.njit(cache=True, error_model="numpy")
    def forward(x, gamma, beta, eps, y, x_hat, rstd):
        rows, n = x.shape
        for i in range(rows):
            total = 0.0
            for j in range(n):
                total += x[i, j]
            mu = total / n
            squares = 0.0
            for j in range(n):
                squares += (x[i, j] - mu) ** 2
            r = 1.0 / numpy.sqrt(squares / n + eps)
            rstd[i] = r
            for j in range(n):
                normalized = (x[i, j] - mu) * r
                x_hat[i, j] = normalized
                y[i, j] = normalized * gamma[j] + beta[j]

    @numba.njit(cache=True, error_model="numpy")
    def backward(g, gamma, x_hat, rstd, dx, dgamma, dbeta):
        rows, n = g.shape
        for j in range(n):
            dgamma[j] = 0.0
            dbeta[j] = 0.0
        for i in range(rows):
            mean_g_hat = 0.0
            mean_g_hat_x_hat = 0.0
            for j in range(n):
                g_hat = g[i, j] * gamma[j]
                mean_g_hat += g_hat
                mean_g_hat_x_hat += g_hat * x_hat[i, j]
                dgamma[j] += g[i, j] * x_hat[i, j]
                dbeta[j] += g[i, j]
            mean_g_hat /= n
            mean_g_hat_x_hat /= n
            for j in range(n):
                dx[i, j] = rstd[i] * (g[i, j] * gamma[j] - mean_g_hat
                                      - x_hat[i, j] * mean_g_hat_x_hat)
    return forward, backward


def _loops():
    global _kernels
    if _kernels is None:
        _kernels = _compile()
    return _kernels


def normalize_rows(x, gamma, beta, eps):
    """``(y, x_hat, rstd)`` for a (rows, n) array; ``gamma``/``beta`` of length n or None."""
    x = numpy.ascontiguousarray(x)
    rows, n = x.shape
    gamma = numpy.ones(n, x.dtype) if gamma is None else gamma.reshape(n)
    beta = numpy.zeros(n, x.dtype) if beta is None else beta.reshape(n)
    y, x_hat, rstd = numpy.empty_like(x), numpy.empty_like(x), numpy.empty(rows, x.dtype)
    _loops()[0](x, gamma, beta, eps, y, x_hat, rstd)
    return y, x_hat, rstd


def normalize_rows_backward(g, gamma, x_hat, rstd):
    """``(dx, dgamma, dbeta)`` for (rows, n) ``g`` and the forward's ``x_hat``, ``rstd``."""
    g = numpy.ascontiguousarray(g)
    n = g.shape[1]
    gamma = numpy.ones(n, g.dtype) if gamma is None else gamma.reshape(n)
    dx, dgamma, dbeta = numpy.empty_like(g), numpy.empty(n, g.dtype), numpy.empty(n, g.dtype)
    _loops()[1](g, gamma, x_hat, rstd, dx, dgamma, dbeta)
    return dx, dgamma, dbeta
