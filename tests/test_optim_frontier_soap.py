"""SOAP against pytorch-optimizer 4.1.0's SOAP, float64 (its float32 QR patched to the
parameter's dtype, the copy below), 120 steps, resume midway; first step; bad arguments."""
import numpy as np
import pytest

from tinyopt import nn
from tinyopt.nn import Parameter
from tinyopt.optim.soap import SOAP
from tinyopt.recipes import parse_recipe

from frontier_helpers import (accuracy, digits_loaders, digits_mlp,
                              initial_arrays, run_steps, smooth_grads)

SHAPES = ((4, 3), (5,), (2, 3, 2), (3, 4))
"""At most a 1-D null space in each first factor: the eigenbasis of a factor with a larger
null space (a 3 x 12 gradient's 12 x 12 GᵀG) is arbitrary there, and LAPACK builds differ."""


def _float64_qr(torch):
    """pytorch-optimizer's get_orthogonal_matrix_qr without the cast to float32 (merge_dims off)."""
    def get_orthogonal_matrix_qr(self, state, max_precondition_dim=10000, merge_dims=False):
        exp_avg_sq = state['exp_avg_sq']
        matrices = []
        for ind, (m, o) in enumerate(zip(state['GG'], state['Q'])):
            if len(m) == 0:
                matrices.append([])
                continue
            matrix_product = m @ o
            est_eig = (o * matrix_product).sum(dim=0)
            sort_idx = torch.argsort(est_eig, descending=True)
            exp_avg_sq = exp_avg_sq.index_select(ind, sort_idx)
            power_iter = matrix_product.index_select(1, sort_idx)
            q, _ = torch.linalg.qr(power_iter)
            matrices.append(q)
        state['exp_avg_sq'] = exp_avg_sq
        return matrices
    return get_orthogonal_matrix_qr


def _run_ours(make, n, save_at=None, executor="numpy"):
    return run_steps(make, n, SHAPES, save_at, executor)


CASES = [dict(), dict(lr=0.01, betas=(0.9, 0.99), shampoo_beta=0.8, weight_decay=0.0,
                      precondition_frequency=3, eps=1e-6),
         dict(max_precondition_dim=4, correct_bias=False, normalize_gradient=True,
              maximize=True, precondition_frequency=1)]


@pytest.mark.parametrize("executor", ["numpy", "numba"])
@pytest.mark.parametrize("kwargs", CASES)
def test_matches_pytorch_optimizer_in_float64_and_resumes_exactly(monkeypatch, executor, kwargs):
    torch = pytest.importorskip("torch")
    pytorch_optimizer = pytest.importorskip("pytorch_optimizer")
    monkeypatch.setattr(pytorch_optimizer.SOAP, "get_orthogonal_matrix_qr", _float64_qr(torch))
    params = [torch.tensor(x, requires_grad=True) for x in initial_arrays(SHAPES)]
    theirs = pytorch_optimizer.SOAP(params, **kwargs)
    n = 120
    for step in range(n):
        for p, g in zip(params, smooth_grads([p.detach().numpy() for p in params], step)):
            p.grad = torch.tensor(g)
        theirs.step()
    make = lambda ps: SOAP(ps, **kwargs)  # noqa: E731
    ours, _ = _run_ours(make, n, executor=executor)
    resumed, _ = _run_ours(make, n, save_at=n // 2 + 1, executor=executor)
    for mine, other, again in zip(ours, params, resumed):
        np.testing.assert_allclose(mine, other.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(mine, again)


def test_first_step_only_initialises_and_state_bytes_count_the_factors():
    start = initial_arrays(SHAPES)
    ours, opt = _run_ours(lambda ps: SOAP(ps), 1)
    for mine, original in zip(ours, start):
        np.testing.assert_array_equal(mine, original)
    # m, v per element; L, R and their bases per rotated dimension (the bias is not rotated)
    factors = 2 * (16 + 9) + 2 * (4 + 9 + 4) + 2 * (9 + 16)
    elements = sum(int(np.prod(s)) for s in SHAPES)
    assert opt.state_bytes() == 8 * (2 * elements + factors)


def test_precondition_1d_rotates_a_bias_too():
    """Not in the parity cases: a bias's first factor g gᵀ has rank 1, so its eigenbasis is
    arbitrary in a 4-D null space and differs between LAPACK builds (see SHAPES)."""
    _, opt = _run_ours(lambda ps: SOAP(ps, precondition_1d=True, precondition_frequency=2), 6)
    bias = next(p for p in opt.state if p.ndim == 1)
    basis = opt.state[bias]["Q"][0]
    assert basis.shape == (5, 5)
    np.testing.assert_allclose(basis.T @ basis, np.eye(5), atol=1e-12)


def test_bad_arguments():
    params = [Parameter(np.ones((2, 2)))]
    for value in (0, -3, 2.5):
        with pytest.raises(ValueError, match="precondition_frequency"):
            SOAP(params, precondition_frequency=value)
    with pytest.raises(ValueError, match="max_precondition_dim"):
        SOAP(params, max_precondition_dim=0)
    with pytest.raises(ValueError, match="shampoo_beta"):
        SOAP(params, shampoo_beta=1.0)


def test_soap_recipe_trains_digits_mlp():
    pytest.importorskip("sklearn")
    train, X_test, y_test = digits_loaders()
    model, loss_fn = digits_mlp(), nn.CrossEntropyLoss()
    opt = parse_recipe("soap").build_optimizer(model.parameters())
    for _ in range(4):
        for x, y in train:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
    assert accuracy(model, X_test, y_test) >= 0.95
