"""Muon against ``torch.optim.Muon`` (torch 2.13), float64, resume, equivalences, AdamW groups.

torch runs Newton-Schulz in bfloat16; the 1e-10 comparison patches its
``_zeropower_via_newtonschulz`` with the same iteration in float64 (the
function below is torch's with only ``.bfloat16()`` removed), and a second
test checks the unpatched torch to bfloat16 accuracy.
"""
import numpy as np
import pytest

from tinyopt import nn, optim
from tinyopt.nn import Parameter
from tinyopt.optim.muon import Muon, muon_param_groups, newton_schulz
from tinyopt.recipes import parse_recipe

from frontier_helpers import (accuracy, digits_loaders, digits_mlp,
                              initial_arrays, run_steps, smooth_grads)

SHAPES = ((4, 3), (3, 5), (6, 6))


def _float64_newton_schulz(torch):
    def zeropower(grad, ns_coefficients, ns_steps, eps):
        a, b, c = ns_coefficients
        ortho_grad = grad.clone()
        if grad.size(0) > grad.size(1):
            ortho_grad = ortho_grad.T
        ortho_grad.div_(ortho_grad.norm().clamp(min=eps))
        for _ in range(ns_steps):
            gram_matrix = ortho_grad @ ortho_grad.T
            gram_update = torch.addmm(gram_matrix, gram_matrix, gram_matrix, beta=b, alpha=c)
            ortho_grad = torch.addmm(ortho_grad, gram_update, ortho_grad, beta=a)
        if grad.size(0) > grad.size(1):
            ortho_grad = ortho_grad.T
        return ortho_grad
    return zeropower


def _run_ours(make, n_steps, shapes=SHAPES, save_at=None, executor="numpy"):
    return run_steps(make, n_steps, shapes, save_at, executor)[0]


def _run_torch(torch, kwargs, n_steps):
    params = [torch.tensor(x, requires_grad=True) for x in initial_arrays(SHAPES)]
    opt = torch.optim.Muon(params, **kwargs)
    for step in range(n_steps):
        for p, g in zip(params, smooth_grads([p.detach().numpy() for p in params], step)):
            p.grad = torch.tensor(g)
        opt.step()
    return [p.detach().numpy() for p in params]


CASES = [dict(lr=0.02), dict(lr=0.01, weight_decay=0.0, momentum=0.9, nesterov=False),
         dict(lr=0.005, weight_decay=0.05, momentum=0.8, ns_steps=3, eps=1e-5,
              ns_coefficients=(3.0, -3.2, 1.2), adjust_lr_fn="match_rms_adamw"),
         dict(lr=0.01, adjust_lr_fn="original")]


@pytest.mark.parametrize("executor", ["numpy", "numba"])
@pytest.mark.parametrize("kwargs", CASES)
def test_matches_torch_muon_in_float64_and_resumes_exactly(monkeypatch, executor, kwargs):
    torch = pytest.importorskip("torch")
    muon_module = pytest.importorskip("torch.optim._muon")
    monkeypatch.setattr(muon_module, "_zeropower_via_newtonschulz",
                        _float64_newton_schulz(torch))
    n = 120
    theirs = _run_torch(torch, kwargs, n)
    ours = _run_ours(lambda ps: Muon(ps, **kwargs), n, executor=executor)
    resumed = _run_ours(lambda ps: Muon(ps, **kwargs), n, save_at=n // 2, executor=executor)
    for mine, other, again in zip(ours, theirs, resumed):
        np.testing.assert_allclose(mine, other, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(mine, again)


def test_close_to_torch_muon_in_bfloat16():
    torch = pytest.importorskip("torch")
    if not hasattr(torch.optim, "Muon"):
        pytest.skip("torch.optim.Muon needs torch >= 2.9")
    theirs = _run_torch(torch, dict(lr=0.02), 20)
    ours = _run_ours(lambda ps: Muon(ps, lr=0.02), 20)
    for mine, other in zip(ours, theirs):
        np.testing.assert_allclose(mine, other, rtol=0, atol=2e-2)


def test_one_row_matrix_steps_along_the_normalised_momentum():
    """A 1 x n matrix has one singular value: NS maps U to s(1)·U/‖U‖, the momentum's direction
    at a fixed length (a diagonal matrix would give sign(U) instead)."""
    u = np.random.default_rng(0).standard_normal((1, 7))
    o = newton_schulz(u)
    np.testing.assert_allclose(o / np.linalg.norm(o), u / np.linalg.norm(u), rtol=1e-12)
    diagonal = np.diag([3.0, -0.5, 1e-1])
    np.testing.assert_allclose(np.sign(np.diag(newton_schulz(diagonal, ns_steps=10))),
                               np.sign(np.diag(diagonal)))
    singular_values = np.linalg.svd(newton_schulz(np.random.default_rng(1).standard_normal(
        (8, 5))), compute_uv=False)
    assert np.all((singular_values > 0.6) & (singular_values < 1.25))


def test_conv_weight_is_flattened_to_out_channels_by_the_rest():
    conv = _run_ours(lambda ps: Muon(ps, lr=0.02), 30, shapes=((3, 2, 2, 2),))
    flat = _run_ours(lambda ps: Muon(ps, lr=0.02), 30, shapes=((3, 8),))
    np.testing.assert_allclose(conv[0].reshape(3, 8), flat[0], rtol=1e-12)


def test_adamw_groups_are_adamw():
    shapes = ((4, 3), (5,))
    ours = _run_ours(lambda ps: Muon([{"params": ps[:1]}, {"params": ps[1:], "use_muon": False,
                                                           "lr": 0.01}], lr=0.02), 40, shapes)
    adamw = _run_ours(lambda ps: optim.AdamW(ps[1:], lr=0.01, betas=(0.9, 0.95), eps=1e-10,
                                             weight_decay=0.1), 40, shapes)
    np.testing.assert_array_equal(ours[1], adamw[1])


def test_muon_param_groups_splits_like_the_reference():
    model = nn.Sequential(nn.Embedding(10, 8), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3))
    muon_group, adamw_group = muon_param_groups(model, adamw_lr=1e-3)
    assert [p.shape for p in muon_group["params"]] == [(8, 8)]
    assert adamw_group["use_muon"] is False and adamw_group["lr"] == 1e-3
    assert sorted(p.shape for p in adamw_group["params"]) == [(3,), (3, 8), (8,), (10, 8)]


def test_bad_arguments():
    with pytest.raises(ValueError, match="shape \\(3,\\).*use_muon=False"):
        Muon([Parameter(np.ones((2, 2))), Parameter(np.ones(3))])
    square = [Parameter(np.ones((2, 2)))]
    with pytest.raises(ValueError, match="ns_steps"):
        Muon(square, ns_steps=0)
    with pytest.raises(ValueError, match="adjust_lr_fn"):
        Muon(square, adjust_lr_fn="sqrt")
    with pytest.raises(ValueError, match="momentum"):
        Muon(square, momentum=1.0)
    with pytest.raises(TypeError, match="ns_coefficients"):
        Muon(square, ns_coefficients=(1.0, 2.0))


def test_muon_recipe_trains_digits_mlp():
    pytest.importorskip("sklearn")
    train, X_test, y_test = digits_loaders()
    model, loss_fn = digits_mlp(), nn.CrossEntropyLoss()
    opt = parse_recipe("muon").build_optimizer(model.parameters())
    for _ in range(4):
        for x, y in train:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
    assert accuracy(model, X_test, y_test) >= 0.95
