"""Schedule-free SGD and AdamW against the ``schedulefree`` package (float64), resume, modes."""
import numpy as np
import pytest

from tinyopt import optim
from tinyopt.nn import Parameter
from tinyopt.optim.schedule_free import AdamWScheduleFree, SGDScheduleFree

from frontier_helpers import initial_arrays, smooth_grads

SHAPES = ((4, 3), (5,), (2, 3))


def _run_ours(make, n_steps, save_at=None, executor="numpy", swap_every=None):
    params = [Parameter(x) for x in initial_arrays(SHAPES)]
    opt = make(params)
    opt.executor = executor
    for step in range(n_steps):
        if step == save_at:
            saved = opt.state_dict()
            opt = make(params)
            opt.executor = executor
            opt.load_state_dict(saved)
        if swap_every and step % swap_every == 0:
            opt.eval()
            opt.train()
        for p, g in zip(params, smooth_grads([p.array for p in params], step)):
            p.grad = g
        opt.step()
    opt.eval()
    return [p.array for p in params]


def _run_reference(torch, make, n_steps, swap_every=None):
    params = [torch.tensor(x, requires_grad=True) for x in initial_arrays(SHAPES)]
    opt = make(params)
    opt.train()
    for step in range(n_steps):
        if swap_every and step % swap_every == 0:
            opt.eval()
            opt.train()
        for p, g in zip(params, smooth_grads([p.detach().numpy() for p in params], step)):
            p.grad = torch.tensor(g)
        opt.step()
    opt.eval()
    return [p.detach().numpy() for p in params]


SGD_CASES = [dict(lr=0.05), dict(lr=0.1, momentum=0.7, weight_decay=0.01, warmup_steps=20,
                                 r=0.5, weight_lr_power=1.5)]
ADAMW_CASES = [dict(lr=0.01), dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05,
                                   warmup_steps=30, r=1.0, weight_lr_power=3.0)]


@pytest.mark.parametrize("executor", ["numpy", "numba"])
@pytest.mark.parametrize("name, kwargs", [("SGD", k) for k in SGD_CASES]
                         + [("AdamW", k) for k in ADAMW_CASES])
def test_matches_schedulefree_and_resumes_exactly(executor, name, kwargs):
    torch = pytest.importorskip("torch")
    schedulefree = pytest.importorskip("schedulefree")
    ours_cls = {"SGD": SGDScheduleFree, "AdamW": AdamWScheduleFree}[name]
    theirs_cls = getattr(schedulefree, f"{name}ScheduleFree")
    n = 120
    theirs = _run_reference(torch, lambda ps: theirs_cls(ps, foreach=False, **kwargs), n,
                            swap_every=17)
    ours = _run_ours(lambda ps: ours_cls(ps, **kwargs), n, executor=executor, swap_every=17)
    resumed = _run_ours(lambda ps: ours_cls(ps, **kwargs), n, save_at=n // 2,
                        executor=executor, swap_every=17)
    for mine, other, again in zip(ours, theirs, resumed):
        np.testing.assert_allclose(mine, other, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(mine, again)


def test_beta1_zero_follows_adamw_without_momentum():
    """β₁ = 0: y = z, each step is AdamW's with β₁ = 0 (the paper's "β = 0 is the base method")."""
    params = [Parameter(x) for x in initial_arrays(SHAPES)]
    free = AdamWScheduleFree(params, lr=0.01, betas=(0.0, 0.99), weight_decay=0.1)
    others = [Parameter(x) for x in initial_arrays(SHAPES)]
    adamw = optim.AdamW(others, lr=0.01, betas=(0.0, 0.99), weight_decay=0.1, eps=1e-8)
    for step in range(60):
        for group in (params, others):
            for p, g in zip(group, smooth_grads([p.array for p in group], step)):
                p.grad = g
        free.step()
        adamw.step()
    for mine, other in zip(params, others):
        np.testing.assert_allclose(mine.array, other.array, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="betas\\[0\\] > 0"):
        free.eval()


def test_sgd_eval_point_is_the_average_of_the_z_iterates():
    """r = 0, constant γ: c = 1/t, so x is the plain mean of z₁ ... zₜ."""
    params = [Parameter(np.array([1.0, -2.0]))]
    opt = SGDScheduleFree(params, lr=0.1, momentum=0.5)
    zs = []
    for step in range(30):
        params[0].grad = smooth_grads([params[0].array], step)[0]
        opt.step()
        zs.append(opt.state[params[0]]["z"].copy())
    opt.eval()
    np.testing.assert_allclose(params[0].array, np.mean(zs, axis=0), rtol=1e-12)
    opt.eval()                               # idempotent
    np.testing.assert_allclose(params[0].array, np.mean(zs, axis=0), rtol=1e-12)


def test_bad_arguments_and_step_in_eval_mode():
    params = [Parameter(np.ones(3))]
    for momentum in (0.0, 1.0):
        with pytest.raises(ValueError, match="momentum"):
            SGDScheduleFree(params, momentum=momentum)
    with pytest.raises(ValueError, match="warmup_steps"):
        AdamWScheduleFree(params, warmup_steps=-1)
    with pytest.raises(ValueError, match="betas\\[1\\]"):
        AdamWScheduleFree(params, betas=(0.9, 1.0))
    opt = AdamWScheduleFree(params)
    params[0].grad = np.ones(3)
    opt.step()
    opt.eval()
    with pytest.raises(RuntimeError, match="train\\(\\)"):
        opt.step()
