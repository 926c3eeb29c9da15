"""SophiaG against the official step (Liu-Hong/Sophia's sophia.py, copied below) and SophiaH
against pytorch-optimizer 4.1.0's SophiaH, float64; the Hutchinson estimate; win rate."""
import numpy as np
import pytest

import tinyopt
from tinyopt.nn import Parameter
from tinyopt.optim.sophia import SophiaG, SophiaH, sample_labels

from frontier_helpers import initial_arrays, smooth_grads

SHAPES = ((4, 3), (5,), (2, 3))


def official_sophiag(torch):
    """SophiaG from Liu-Hong/Sophia (sophia.py): update_hessian and _single_tensor_sophiag."""
    class OfficialSophiaG(torch.optim.Optimizer):
        def __init__(self, params, lr=1e-4, betas=(0.965, 0.99), rho=0.04, weight_decay=1e-1,
                     maximize=False):
            super().__init__(params, dict(lr=lr, betas=betas, rho=rho,
                                          weight_decay=weight_decay, maximize=maximize))

        def _state(self, p):
            state = self.state[p]
            if len(state) == 0:
                state['step'] = torch.zeros((1,))
                state['exp_avg'] = torch.zeros_like(p)
                state['hessian'] = torch.zeros_like(p)
            return state

        @torch.no_grad()
        def update_hessian(self):
            for group in self.param_groups:
                beta1, beta2 = group['betas']
                for p in group['params']:
                    if p.grad is None:
                        continue
                    state = self._state(p)
                    state['hessian'].mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)

        @torch.no_grad()
        def step(self, bs=5120):
            for group in self.param_groups:
                beta1, beta2 = group['betas']
                for param in group['params']:
                    if param.grad is None:
                        continue
                    state = self._state(param)
                    grad = param.grad if not group['maximize'] else -param.grad
                    exp_avg, hess = state['exp_avg'], state['hessian']
                    state['step'] += 1
                    param.mul_(1 - group['lr'] * group['weight_decay'])
                    exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                    step_size_neg = -group['lr']
                    ratio = (exp_avg.abs() / (group['rho'] * bs * hess + 1e-15)).clamp(None, 1)
                    param.addcmul_(exp_avg.sign(), ratio, value=step_size_neg)
    return OfficialSophiaG


def _estimates(step, arrays):
    """A Hessian-diagonal stand-in for ``step`` (positive and negative entries)."""
    rng = np.random.default_rng(500 + step)
    return [rng.standard_normal(x.shape) + 0.5 for x in arrays]


def _run_ours(make, n, step_kwargs, save_at=None, executor="numpy", g_period=None):
    params = [Parameter(x) for x in initial_arrays(SHAPES)]
    opt = make(params)
    opt.executor = executor
    for step in range(n):
        if step == save_at:
            saved = opt.state_dict()
            opt = make(params)
            opt.executor = executor
            opt.load_state_dict(saved)
        if g_period and step % g_period == 0:
            for p, g in zip(params, _estimates(step, [p.array for p in params])):
                p.grad = g
            opt.update_hessian()
        for p, g in zip(params, smooth_grads([p.array for p in params], step)):
            p.grad = g
        if g_period:
            opt.step(**step_kwargs)
        else:
            opt.step(hessian=_estimates(step, [p.array for p in params]) if step % 3 == 0
                     else None)
    return [p.array for p in params], opt


SOPHIAG_CASES = [(dict(), dict()), (dict(lr=0.01, betas=(0.9, 0.95), rho=0.1, weight_decay=0.0,
                                         maximize=True), dict(bs=8))]


@pytest.mark.parametrize("executor", ["numpy", "numba"])
@pytest.mark.parametrize("kwargs, step_kwargs", SOPHIAG_CASES)
def test_sophiag_matches_the_official_step(executor, kwargs, step_kwargs):
    torch = pytest.importorskip("torch")
    params = [torch.tensor(x, requires_grad=True) for x in initial_arrays(SHAPES)]
    theirs = official_sophiag(torch)(params, **kwargs)
    n = 120
    for step in range(n):
        if step % 10 == 0:
            for p, g in zip(params, _estimates(step, [p.detach().numpy() for p in params])):
                p.grad = torch.tensor(g)
            theirs.update_hessian()
        for p, g in zip(params, smooth_grads([p.detach().numpy() for p in params], step)):
            p.grad = torch.tensor(g)
        theirs.step(**step_kwargs)
    make = lambda ps: SophiaG(ps, **kwargs)  # noqa: E731
    ours, opt = _run_ours(make, n, step_kwargs, executor=executor, g_period=10)
    resumed, _ = _run_ours(make, n, step_kwargs, save_at=n // 2 + 5, executor=executor,
                           g_period=10)
    for mine, other, again in zip(ours, params, resumed):
        np.testing.assert_allclose(mine, other.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(mine, again)
    assert 0.0 <= opt.win_rate <= 1.0


SOPHIAH_CASES = [dict(), dict(lr=0.1, betas=(0.9, 0.95), weight_decay=0.01, p=0.05, eps=1e-3),
                 dict(weight_decay=0.02, weight_decouple=False, maximize=True),
                 dict(weight_decay=0.02, fixed_decay=True)]


@pytest.mark.parametrize("executor", ["numpy", "numba"])
@pytest.mark.parametrize("kwargs", SOPHIAH_CASES)
def test_sophiah_matches_pytorch_optimizer_given_the_same_estimates(executor, kwargs):
    torch = pytest.importorskip("torch")
    pytorch_optimizer = pytest.importorskip("pytorch_optimizer")
    params = [torch.tensor(x, requires_grad=True) for x in initial_arrays(SHAPES)]
    theirs = pytorch_optimizer.SophiaH(params, update_period=1000, foreach=False, **kwargs)
    n = 120
    for step in range(n):
        for p, g in zip(params, smooth_grads([p.detach().numpy() for p in params], step)):
            p.grad = torch.tensor(g)
        hessian = None
        if step % 3 == 0:
            hessian = [torch.tensor(h) for h in _estimates(step, [p.detach().numpy()
                                                                  for p in params])]
        theirs.step(hessian=hessian)
    make = lambda ps: SophiaH(ps, update_period=1000, **kwargs)  # noqa: E731
    ours, _ = _run_ours(make, n, {}, executor=executor)
    resumed, _ = _run_ours(make, n, {}, save_at=n // 2 + 1, executor=executor)
    for mine, other, again in zip(ours, params, resumed):
        np.testing.assert_allclose(mine, other.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(mine, again)


def test_hutchinson_estimate_is_exact_on_a_diagonal_hessian_with_rademacher_probes():
    """z ⊙ Hz = diag(H) when H is diagonal and z² = 1; Gaussian probes average to it."""
    a = np.array([1.0, 2.0, 3.0, 4.0])
    w = Parameter(np.ones(4))
    opt = SophiaH([w], hessian_distribution="rademacher", update_period=1)
    opt.step(lambda: (tinyopt.Tensor(a / 2) * w * w).sum() + (w ** 3).sum())
    np.testing.assert_allclose(opt.state[w]["hessian"], a + 6 * np.ones(4), rtol=1e-12)
    np.testing.assert_allclose(w.grad.array, a + 3 * np.ones(4) * 1.0 ** 2, rtol=1e-12)
    tinyopt.manual_seed(0)
    v = Parameter(np.ones(3))
    mixed = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.3], [0.0, 0.3, 3.0]])
    gaussian = SophiaH([v], num_samples=4000, update_period=1)
    gaussian.step(lambda: 0.5 * (v * (tinyopt.Tensor(mixed) @ v)).sum())
    np.testing.assert_allclose(gaussian.state[v]["hessian"], np.diag(mixed), atol=0.3)


def test_bad_arguments_and_hessian_before_backward():
    params = [Parameter(np.ones(3))]
    with pytest.raises(RuntimeError, match="update_hessian\\(\\) needs gradients"):
        SophiaG(params).update_hessian()
    with pytest.raises(ValueError, match="rho"):
        SophiaG(params, rho=0.0)
    with pytest.raises(ValueError, match="update_period"):
        SophiaH(params, update_period=0)
    with pytest.raises(ValueError, match="hessian_distribution"):
        SophiaH(params, hessian_distribution="uniform")
    params[0].grad = np.ones(3)
    with pytest.raises(RuntimeError, match="Hessian estimate"):
        SophiaH(params).step()


def test_sample_labels_follow_the_softmax():
    tinyopt.manual_seed(0)
    logits = tinyopt.Tensor(np.log(np.tile([[0.7, 0.2, 0.1]], (20000, 1))))
    counts = np.bincount(sample_labels(logits).array, minlength=3) / 20000
    np.testing.assert_allclose(counts, [0.7, 0.2, 0.1], atol=0.02)
