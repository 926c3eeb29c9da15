"""SAM/ASAM against davda54/sam's step (copied below) and pytorch-optimizer's SAM, float64."""
import numpy as np
import pytest

import tinyopt
from tinyopt import nn, optim
from tinyopt.nn import Parameter
from tinyopt.optim.sam import SAM, frozen_running_stats

from frontier_helpers import initial_arrays, smooth_grads

SHAPES = ((4, 3), (5,), (2, 3))


def _davda54_sam(torch):
    """davda54/sam's SAM (sam.py, 2021), verbatim but for the closure handling."""
    class Davda54SAM(torch.optim.Optimizer):
        def __init__(self, params, base_optimizer, rho=0.05, adaptive=False, **kwargs):
            defaults = dict(rho=rho, adaptive=adaptive, **kwargs)
            super().__init__(params, defaults)
            self.base_optimizer = base_optimizer(self.param_groups, **kwargs)
            self.param_groups = self.base_optimizer.param_groups
            self.defaults.update(self.base_optimizer.defaults)

        @torch.no_grad()
        def first_step(self):
            grad_norm = self._grad_norm()
            for group in self.param_groups:
                scale = group["rho"] / (grad_norm + 1e-12)
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    self.state[p]["old_p"] = p.data.clone()
                    e_w = (torch.pow(p, 2) if group["adaptive"] else 1.0) * p.grad * scale.to(p)
                    p.add_(e_w)

        @torch.no_grad()
        def second_step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    p.data = self.state[p]["old_p"]
            self.base_optimizer.step()

        def _grad_norm(self):
            return torch.norm(torch.stack([
                ((torch.abs(p) if group["adaptive"] else 1.0) * p.grad).norm(p=2)
                for group in self.param_groups for p in group["params"] if p.grad is not None]),
                p=2)
    return Davda54SAM


def _run_ours(make, n_steps, save_at=None, executor="numpy"):
    params = [Parameter(x) for x in initial_arrays(SHAPES)]
    opt = make(params)
    opt.executor = executor
    for step in range(n_steps):
        if step == save_at:
            saved = opt.state_dict()
            opt = make(params)
            opt.executor = executor
            opt.load_state_dict(saved)

        def closure():
            for p, g in zip(params, smooth_grads([p.array for p in params], step)):
                p.grad = g
            return 0.0
        closure()
        opt.step(closure)
    return [p.array for p in params]


def _run_torch(torch, make, n_steps, two_pass):
    params = [torch.tensor(x, requires_grad=True) for x in initial_arrays(SHAPES)]
    opt = make(params)
    for step in range(n_steps):
        def set_grads():
            grads = smooth_grads([p.detach().numpy() for p in params], step)
            for p, g in zip(params, grads):
                p.grad = torch.tensor(g)
        set_grads()
        if two_pass:
            opt.first_step()
            set_grads()
            opt.second_step()
        else:
            opt.step(set_grads)
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize("executor", ["numpy", "numba"])
@pytest.mark.parametrize("adaptive, rho, base", [
    (False, 0.05, dict(lr=0.02, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    (True, 0.5, dict(lr=0.02, momentum=0.9)),
    (False, 0.1, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01, amsgrad=True))])
def test_matches_davda54_sam_and_resumes_exactly(executor, adaptive, rho, base):
    torch = pytest.importorskip("torch")
    our_base, their_base = ((optim.SGD, torch.optim.SGD) if "momentum" in base
                            else (optim.AdamW, torch.optim.AdamW))
    n = 120
    theirs = _run_torch(torch, lambda ps: _davda54_sam(torch)(
        ps, their_base, rho=rho, adaptive=adaptive, **base), n, two_pass=True)
    make = lambda ps: SAM(ps, our_base, rho=rho, adaptive=adaptive, **base)  # noqa: E731
    ours = _run_ours(make, n, executor=executor)
    resumed = _run_ours(make, n, save_at=n // 2, executor=executor)
    for mine, other, again in zip(ours, theirs, resumed):
        np.testing.assert_allclose(mine, other, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(mine, again)


def test_matches_pytorch_optimizer_sam():
    """pytorch-optimizer 4.1.0 sums the squared norms in float32 (``get_global_gradient_norm``),
    so it agrees to float32 precision only, 1e-5 relative after 100 steps."""
    torch = pytest.importorskip("torch")
    pytorch_optimizer = pytest.importorskip("pytorch_optimizer")
    theirs = _run_torch(torch, lambda ps: pytorch_optimizer.SAM(
        ps, torch.optim.SGD, rho=0.3, adaptive=True, lr=0.02, momentum=0.9), 100,
        two_pass=True)
    ours = _run_ours(lambda ps: SAM(ps, optim.SGD, rho=0.3, adaptive=True, lr=0.02,
                                    momentum=0.9), 100)
    for mine, other in zip(ours, theirs):
        np.testing.assert_allclose(mine, other, rtol=1e-5, atol=1e-7)


def test_vanishing_rho_is_the_base_optimizer():
    """ρ = 0 is refused, but a ρ below float64 resolution leaves θ + ε = θ: the base's path."""
    ours = _run_ours(lambda ps: SAM(ps, optim.SGD, rho=1e-300, lr=0.02, momentum=0.9), 60)
    params = [Parameter(x) for x in initial_arrays(SHAPES)]
    base = optim.SGD(params, lr=0.02, momentum=0.9)
    for step in range(60):
        for p, g in zip(params, smooth_grads([p.array for p in params], step)):
            p.grad = g
        base.step()
    for mine, other in zip(ours, params):
        np.testing.assert_array_equal(mine, other.array)


def test_bad_arguments_and_wrapping_twice():
    params = [Parameter(np.ones(3))]
    for rho in (0.0, -0.1):
        with pytest.raises(ValueError, match="rho"):
            SAM(params, optim.SGD, rho=rho, lr=0.1)
    with pytest.raises(ValueError, match="SAM cannot wrap SAM"):
        SAM(params, SAM, lr=0.1)
    with pytest.raises(TypeError, match="base_optimizer must be an Optimizer class"):
        SAM(params, optim.SGD(params, lr=0.1))
    opt = SAM(params, optim.SGD, lr=0.1)
    with pytest.raises(ValueError, match="closure"):
        opt.step()
    with pytest.raises(RuntimeError, match="backward"):
        opt.first_step()


def test_add_param_group_goes_through_the_base_optimizer():
    opt = SAM([Parameter(np.ones(3))], optim.SGD, lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [Parameter(np.ones(2))], "rho": 0.2})
    assert opt.param_groups is opt.base_optimizer.param_groups
    assert opt.param_groups[1]["rho"] == 0.2 and opt.param_groups[1]["dampening"] == 0
    with pytest.raises(ValueError, match="rho"):
        opt.add_param_group({"params": [Parameter(np.ones(2))], "rho": 0.0})
    assert len(opt.param_groups) == 2


def test_frozen_running_stats_restores_batchnorm():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    before = [b.array.copy() for b in model.buffers()]
    with frozen_running_stats(model):
        model(tinyopt.randn(8, 3))
    for old, buffer in zip(before, model.buffers()):
        np.testing.assert_array_equal(old, buffer.array)
