"""AdaHessian against pytorch-optimizer 4.1.0's AdaHessian (float64, given estimates), the
Hutchinson path, spatial averaging of conv kernels, the digits recipe."""
import numpy as np
import pytest

import tinyopt
from tinyopt.nn import Parameter
from tinyopt.optim.adahessian import AdaHessian

from frontier_helpers import initial_arrays, run_steps, smooth_grads

SHAPES = ((4, 3), (5,), (2, 3, 2))


def _estimates(step, arrays):
    rng = np.random.default_rng(700 + step)
    return [rng.standard_normal(x.shape) for x in arrays]


def _run_ours(make, n, save_at=None, executor="numpy"):
    def estimates_every_other_step(step, arrays):
        return {"hessian": _estimates(step, arrays) if step % 2 == 0 else None}
    return run_steps(make, n, SHAPES, save_at, executor, estimates_every_other_step)[0]


CASES = [dict(), dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.01, hessian_power=0.5,
                      eps=1e-4),
         dict(weight_decay=0.02, weight_decouple=False, maximize=True),
         dict(weight_decay=0.02, fixed_decay=True, lr=0.01)]


@pytest.mark.parametrize("executor", ["numpy", "numba"])
@pytest.mark.parametrize("kwargs", CASES)
def test_matches_pytorch_optimizer_given_the_same_estimates(executor, kwargs):
    torch = pytest.importorskip("torch")
    pytorch_optimizer = pytest.importorskip("pytorch_optimizer")
    params = [torch.tensor(x, requires_grad=True) for x in initial_arrays(SHAPES)]
    theirs = pytorch_optimizer.AdaHessian(params, update_period=1000, foreach=False, **kwargs)
    n = 120
    for step in range(n):
        for p, g in zip(params, smooth_grads([p.detach().numpy() for p in params], step)):
            p.grad = torch.tensor(g)
        hessian = None
        if step % 2 == 0:
            hessian = [torch.tensor(h) for h in _estimates(step, [p.detach().numpy()
                                                                  for p in params])]
        theirs.step(hessian=hessian)
    make = lambda ps: AdaHessian(ps, update_period=1000, **kwargs)  # noqa: E731
    ours = _run_ours(make, n, executor=executor)
    resumed = _run_ours(make, n, save_at=n // 2 + 1, executor=executor)
    for mine, other, again in zip(ours, params, resumed):
        np.testing.assert_allclose(mine, other.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(mine, again)


def test_closure_estimates_the_diagonal_and_conv_kernels_are_averaged():
    a = np.array([1.0, 2.0, 3.0])
    w = Parameter(np.ones(3))
    opt = AdaHessian([w])
    opt.step(lambda: (tinyopt.Tensor(a / 2) * w * w).sum())
    np.testing.assert_allclose(opt.state[w]["hessian"], a, rtol=1e-12)      # Rademacher: exact
    kernel = Parameter(np.ones((2, 1, 2, 2)))
    curvature = np.arange(1.0, 9.0).reshape(2, 1, 2, 2)
    conv = AdaHessian([kernel])
    conv.step(lambda: (tinyopt.Tensor(curvature / 2) * kernel * kernel).sum())
    np.testing.assert_allclose(conv.state[kernel]["hessian"][:, 0, 0, 0], [2.5, 6.5])
    flat = AdaHessian([kernel], spatial_average=False)
    flat.step(lambda: (tinyopt.Tensor(curvature / 2) * kernel * kernel).sum())
    np.testing.assert_allclose(flat.state[kernel]["hessian"], curvature)


def test_bad_arguments():
    params = [Parameter(np.ones(3))]
    with pytest.raises(ValueError, match="hessian_power"):
        AdaHessian(params, hessian_power=1.5)
    with pytest.raises(ValueError, match="update_period"):
        AdaHessian(params, update_period=0)
    params[0].grad = np.ones(3)
    with pytest.raises(RuntimeError, match="Hessian estimate"):
        AdaHessian(params).step()
    with pytest.raises(ValueError, match="hessian has 2 entries"):
        AdaHessian(params).step(hessian=[np.ones(3), np.ones(3)])
