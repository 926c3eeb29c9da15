"""Layer normalisation as one op, with its backward by formula.

Over the normalised (trailing) dims, with n elements per sample,

    mu = mean(x),   r = 1 / sqrt(mean((x - mu)^2) + eps),   x_hat = (x - mu) r,
    y = x_hat * gamma + beta.

With g = dL/dy and g_hat = g * gamma, the chain rule through mu and r folds into

    dL/dx     = r * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat)),
    dL/dgamma = sum over samples of g * x_hat,      dL/dbeta = sum over samples of g,

one expression instead of the seven nodes (mean, sub, mul, mean, add, sqrt,
div) the composite records. A plain backward evaluates it on the arrays of
the saved x_hat and r; under ``create_graph=True`` the same formula runs on
tensors, x_hat and r computed again with the graph recorded, so second
derivatives are exact.
"""
from ..mode import no_grad
from ..tensor import as_gradients, backward_operands, make_result


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
            plain, (G, W) = backward_operands(g, weight)
            x_hat, r = (normalized.array, rstd.array) if plain else standardize(x, dims, eps)
            grads = [None, None, None]
            if x.requires_grad:
                g_hat = G * W if W is not None else G
                grads[0] = r * (g_hat - g_hat.mean(axis=dims, keepdims=True)
                                - x_hat * (g_hat * x_hat).mean(axis=dims, keepdims=True))
            if weight is not None and weight.requires_grad:
                grads[1] = (G * x_hat).sum(axis=samples)
            if bias is not None and bias.requires_grad:
                grads[2] = G.sum(axis=samples)
            present = [grads[0]] + [grad for grad, t in zip(grads[1:], (weight, bias))
                                    if t is not None]
            return as_gradients(plain, present)
        out._backward = backward
    return out
