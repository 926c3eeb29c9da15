"""Second derivatives through tinyopt.nn layers: Hessian-vector products.

Double back-propagation through an MLP (MSE and cross-entropy), a
convolution, layer norm and attention, checked against finite differences of
the gradient, and the symmetry of the Hessian. No PyTorch needed.
"""
import numpy as np
import pytest

import tinyopt
from tinyopt import backend, nn
from tinyopt.autograd import grad
from tinyopt.nn import functional as F

from nn_helpers import seeded  # noqa: F401  (autouse fixture)


# ---------------------------------------------------------- second order
def hessian_vector_product(loss_fn, params, vector):
    """H v by double back-propagation: grad(<grad(loss), v>)."""
    grads = grad(loss_fn(), params, create_graph=True)
    dot = sum((g * tinyopt.tensor(v)).sum() for g, v in zip(grads, vector))
    return [h.array for h in grad(dot, params)]


def finite_difference_hvp(loss_fn, params, vector, eps=1e-5):
    """(grad(w + eps v) - grad(w - eps v)) / (2 eps)."""
    def gradients_at(step):
        for p, v in zip(params, vector):
            p.array += step * v
        result = [g.array.copy() for g in grad(loss_fn(), params)]
        for p, v in zip(params, vector):
            p.array -= step * v
        return result
    plus, minus = gradients_at(eps), gradients_at(-eps)
    return [(a - b) / (2 * eps) for a, b in zip(plus, minus)]


@pytest.mark.parametrize("loss_name", ["mse", "cross_entropy"])
def test_hessian_vector_product_through_an_mlp(loss_name):
    with backend.default_dtype_as("float64"):
        model = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 4), nn.Tanh(),
                              nn.Linear(4, 3))
    rng = np.random.default_rng(0)
    x = tinyopt.tensor(rng.normal(size=(8, 3)))
    if loss_name == "mse":
        target = tinyopt.tensor(rng.normal(size=(8, 3)))
        loss_fn = lambda: F.mse_loss(model(x), target)  # noqa: E731
    else:
        target = tinyopt.tensor(rng.integers(0, 3, size=8))
        loss_fn = lambda: F.cross_entropy(model(x), target, label_smoothing=0.1)  # noqa: E731
    params = list(model.parameters())
    vector = [rng.normal(size=p.shape) for p in params]
    exact = hessian_vector_product(loss_fn, params, vector)
    approx = finite_difference_hvp(loss_fn, params, vector)
    for h, fd, (name, _) in zip(exact, approx, model.named_parameters()):
        np.testing.assert_allclose(h, fd, rtol=1e-6, atol=1e-8, err_msg=name)
    assert max(np.abs(h).max() for h in exact) > 1e-3  # not trivially zero
    # symmetry of the Hessian: <u, H v> == <v, H u>
    other = [rng.normal(size=p.shape) for p in params]
    h_other = hessian_vector_product(loss_fn, params, other)
    u_hv = sum((u * h).sum() for u, h in zip(other, exact))
    v_hu = sum((v * h).sum() for v, h in zip(vector, h_other))
    assert np.isclose(u_hv, v_hu, rtol=1e-10)


def test_second_derivative_through_layer_norm_conv_and_attention():
    with backend.default_dtype_as("float64"):
        conv = nn.Conv2d(2, 3, 3, padding=1)
        norm = nn.LayerNorm(8)
        attention = nn.CausalSelfAttention(8, 2)
    rng = np.random.default_rng(1)
    image = tinyopt.tensor(rng.normal(size=(2, 2, 4, 4)))

    def loss_fn():
        h = conv(image).reshape(2, 6, 8)
        return (attention(norm(h)).tanh() ** 2).sum()
    params = list(conv.parameters()) + list(norm.parameters()) + list(attention.parameters())
    vector = [rng.normal(size=p.shape) for p in params]
    exact = hessian_vector_product(loss_fn, params, vector)
    approx = finite_difference_hvp(loss_fn, params, vector)
    for h, fd in zip(exact, approx):
        np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-7)
