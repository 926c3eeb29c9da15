"""Layer normalisation as one op, with its backward by formula.

Over the normalised (trailing) dims, with n elements per sample,

    mu = mean(x),   r = 1 / sqrt(mean((x - mu)^2) + eps),   x_hat = (x - mu) r,
    y = x_hat * gamma + beta.

With g = dL/dy and g_hat = g * gamma, the chain rule through mu and r folds into

    dL/dx     = r * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat)),
    dL/dgamma = sum over samples of g * x_hat,      dL/dbeta = sum over samples of g,

one expression instead of the seven nodes (mean, sub, mul, mean, add, sqrt,
div) the composite records. The backward is written in tensor ops: a plain
backward reads the saved x_hat and r; under ``create_graph=True`` they are
computed again with the graph recorded, so second derivatives are exact.
"""
from ..mode import is_grad_enabled, no_grad
from ..tensor import make_result


def standardize(x, dims, eps):
    """(x_hat, r) of the module docstring, in tensor ops, over ``dims``."""
    centred = x - x.mean(dim=dims, keepdim=True)
    rstd = ((centred * centred).mean(dim=dims, keepdim=True) + eps).rsqrt()
    return centred * rstd, rstd


def layer_norm(x, dims, weight, bias, eps):
    """y of the module docstring over the trailing ``dims``; weight and bias may be None."""
    with no_grad():
        normalized, rstd = standardize(x, dims, eps)
    data = normalized.array * weight.array if weight is not None else normalized.array.copy()
    if bias is not None:
        data += bias.array
    parents = (x,) + tuple(t for t in (weight, bias) if t is not None)
    out = make_result(data, parents, None, "layer_norm",
                      saved=(x,) if weight is None else (x, weight))
    if out.requires_grad:
        samples = tuple(range(x.ndim - len(dims)))

        def backward(g):
            x_hat, r = standardize(x, dims, eps) if is_grad_enabled() else (normalized, rstd)
            grads = []
            if x.requires_grad:
                g_hat = g * weight if weight is not None else g
                grads.append(r * (g_hat - g_hat.mean(dim=dims, keepdim=True)
                                  - x_hat * (g_hat * x_hat).mean(dim=dims, keepdim=True)))
            else:
                grads.append(None)
            if weight is not None:
                grads.append((g * x_hat).sum(dim=samples) if weight.requires_grad else None)
            if bias is not None:
                grads.append(g.sum(dim=samples) if bias.requires_grad else None)
            return tuple(grads)
        out._backward = backward
    return out
