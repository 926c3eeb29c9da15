"""ADOPT and Prodigy against pytorch-optimizer 4.1.0 (float64, 120 steps, resume midway)."""
import numpy as np
import pytest

from tinyopt import nn
from tinyopt.nn import Parameter
from tinyopt.optim.adopt import ADOPT
from tinyopt.optim.prodigy import Prodigy
from tinyopt.recipes import parse_recipe

from frontier_helpers import (accuracy, digits_loaders, digits_mlp,
                              initial_arrays, run_steps, smooth_grads)

SHAPES = ((4, 3), (5,), (2, 3, 2))


def run_ours(make, n_steps, save_at=None, executor="numpy"):
    return run_steps(make, n_steps, SHAPES, save_at, executor)[0]


def run_theirs(torch, make, n_steps):
    params = [torch.tensor(x, requires_grad=True) for x in initial_arrays(SHAPES)]
    opt = make(params)
    for step in range(n_steps):
        for p, g in zip(params, smooth_grads([p.detach().numpy() for p in params], step)):
            p.grad = torch.tensor(g)
        opt.step()
    return [p.detach().numpy() for p in params]


def check_parity(ours_cls, theirs_name, kwargs, executor, theirs_kwargs=None, n=120):
    torch = pytest.importorskip("torch")
    pytorch_optimizer = pytest.importorskip("pytorch_optimizer")
    theirs_cls = getattr(pytorch_optimizer, theirs_name)
    theirs = run_theirs(torch, lambda ps: theirs_cls(ps, **kwargs, **(theirs_kwargs or {})), n)
    ours = run_ours(lambda ps: ours_cls(ps, **kwargs), n, executor=executor)
    resumed = run_ours(lambda ps: ours_cls(ps, **kwargs), n, save_at=n // 2, executor=executor)
    for mine, other, again in zip(ours, theirs, resumed):
        np.testing.assert_allclose(mine, other, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(mine, again)


ADOPT_CASES = [dict(lr=0.01), dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.01, eps=1e-4),
               dict(lr=0.01, weight_decay=0.05, weight_decouple=True, clip_lambda=None),
               dict(lr=0.01, weight_decay=0.05, weight_decouple=True, fixed_decay=True,
                    maximize=True, clip_lambda=lambda step: 0.5 + step ** 0.1)]


@pytest.mark.parametrize("executor", ["numpy", "numba"])
@pytest.mark.parametrize("kwargs", ADOPT_CASES)
def test_adopt_matches_pytorch_optimizer(executor, kwargs):
    check_parity(ADOPT, "ADOPT", kwargs, executor)


def test_adopt_bad_arguments():
    params = [Parameter(np.ones(3))]
    with pytest.raises(ValueError, match="betas\\[1\\]"):
        ADOPT(params, betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="clip_lambda"):
        ADOPT(params, clip_lambda=2.0)
    with pytest.raises(ValueError, match="eps"):
        ADOPT(params, eps=-1.0)


def train_digits(recipe, epochs=4):
    pytest.importorskip("sklearn")
    train, X_test, y_test = digits_loaders()
    model, loss_fn = digits_mlp(), nn.CrossEntropyLoss()
    opt = parse_recipe(recipe).build_optimizer(model.parameters())
    for _ in range(epochs):
        for x, y in train:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
    return accuracy(model, X_test, y_test)


def test_adopt_recipe_trains_digits_mlp():
    assert train_digits("adopt-mlp") >= 0.95


@pytest.fixture
def torch_float64():
    """pytorch-optimizer's Prodigy keeps r and ‖s‖₁ in tensors of torch's default dtype."""
    torch = pytest.importorskip("torch")
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(old)


PRODIGY_CASES = [dict(), dict(lr=0.5, betas=(0.8, 0.99), beta3=0.9, d0=1e-4, d_coef=0.8,
                              growth_rate=1.05, weight_decay=0.01, bias_correction=True),
                 dict(weight_decay=0.1, fixed_decay=True, safeguard_warmup=True, eps=1e-6,
                      maximize=True)]


@pytest.mark.parametrize("executor", ["numpy", "numba"])
@pytest.mark.parametrize("kwargs", PRODIGY_CASES)
def test_prodigy_matches_pytorch_optimizer(torch_float64, executor, kwargs):
    check_parity(Prodigy, "Prodigy", kwargs, executor, theirs_kwargs=dict(foreach=False))


def test_prodigy_estimate_grows_from_d0_and_l2_reaches_the_gradient():
    params = [Parameter(np.array([3.0, -2.0]))]
    opt = Prodigy(params)
    for _ in range(30):
        params[0].grad = 2 * params[0].array
        opt.step()
    assert opt.param_groups[0]["d"] > 100 * 1e-6
    plain = run_ours(lambda ps: Prodigy(ps, weight_decouple=False), 20)
    decayed = run_ours(lambda ps: Prodigy(ps, weight_decouple=False, weight_decay=0.5), 20)
    assert not np.allclose(plain[0], decayed[0])


def test_prodigy_bad_arguments():
    params = [Parameter(np.ones(3))]
    for name, value in (("d0", 0.0), ("growth_rate", 0.5), ("beta3", 1.0), ("d_coef", -1.0)):
        with pytest.raises(ValueError, match=name):
            Prodigy(params, **{name: value})
    with pytest.raises(TypeError, match="eps"):
        Prodigy(params, eps=None)
    two = Prodigy([{"params": params}, {"params": [Parameter(np.ones(2))], "lr": 0.5}])
    for group in two.param_groups:
        for p in group["params"]:
            p.grad = np.ones(p.shape)
    with pytest.raises(ValueError, match="share group 0's lr"):
        two.step()


def test_prodigy_recipe_trains_digits_mlp():
    assert train_digits("prodigy") >= 0.95
