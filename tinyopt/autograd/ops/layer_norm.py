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
derivatives are exact. On NumPy arrays (all of one dtype) the forward and
the plain backward run as compiled loops instead (``layer_norm_kernel.py``).
"""
import numpy

from ..mode import no_grad
from ..tensor import as_gradients, backward_operands, make_result
from .layer_norm_kernel import normalize_rows, normalize_rows_backward


def standardize(x, dims, eps):
    """(x_hat, r) of the module docstring, in tensor ops, over ``dims``."""
    centred = x - x.mean(dim=dims, keepdim=True)
    rstd = ((centred * centred).mean(dim=dims, keepdim=True) + eps).rsqrt()
    return centred * rstd, rstd


def layer_norm(x, dims, weight, bias, eps):
    """y of the module docstring over the trailing ``dims``; weight and bias may be None."""
    affine = tuple(t for t in (weight, bias) if t is not None)
    compiled = type(x.array) is numpy.ndarray and all(
        type(t.array) is numpy.ndarray and t.dtype == x.dtype for t in affine)
    if compiled:  # the loops of layer_norm_kernel, on the samples as rows
        rows = x.shape[:x.ndim - len(dims)]
        matrix = (_product(rows), _product(x.shape[len(rows):]))
        y, x_hat, rstd = normalize_rows(x.array.reshape(matrix), _array(weight), _array(bias),
                                        eps)
        data = y.reshape(x.shape)
    else:
        with no_grad():
            normalized, r = standardize(x, dims, eps)
        data = normalized.array * weight.array if weight is not None else normalized.array.copy()
        if bias is not None:
            data += bias.array
    out = make_result(data, (x,) + affine, None, "layer_norm",
                      saved=(x,) if weight is None else (x, weight))
    if out.requires_grad:
        samples = tuple(range(x.ndim - len(dims)))

        def backward(g):
            plain, (G, W) = backward_operands(g, weight)
            if plain and compiled:
                dx, dgamma, dbeta = normalize_rows_backward(G.reshape(matrix), W, x_hat, rstd)
                grads = [dx.reshape(x.shape), _shaped(dgamma, weight), _shaped(dbeta, bias)]
            else:
                x_hat_, r_ = ((normalized.array, r.array) if plain
                              else standardize(x, dims, eps))
                grads = _formula(G, W, x_hat_, r_, dims, samples)
            # the engine passes over a gradient whose input does not require grad
            present = [grads[0]] + [grad for grad, t in zip(grads[1:], (weight, bias))
                                    if t is not None]
            return as_gradients(plain, present)
        out._backward = backward
    return out


def _formula(G, W, x_hat, r, dims, samples):
    """[dx, dgamma, dbeta] of the module docstring, on arrays or tensors alike."""
    g_hat = G * W if W is not None else G
    dx = r * (g_hat - g_hat.mean(axis=dims, keepdims=True)
              - x_hat * (g_hat * x_hat).mean(axis=dims, keepdims=True))
    return [dx, (G * x_hat).sum(axis=samples), G.sum(axis=samples)]


def _product(sizes):
    total = 1
    for size in sizes:
        total *= size
    return total


def _array(t):
    return None if t is None else t.array


def _shaped(grad, t):
    return None if t is None else grad.reshape(t.shape)
