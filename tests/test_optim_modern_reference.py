"""LAMB, LARS, Lion and Adafactor against independent references, float64, many steps.

- LAMB, LARS, Lion: the ``pytorch-optimizer`` package (pip name
  ``pytorch-optimizer``, tested with 4.1.0) on the local torch. Its ``Lamb``
  corrects no bias inside the trust ratio but divides the final step by
  1 - β₁ᵗ (unless ``adam_debias=True``), clamps ‖θ‖ at 10 and adds ε to
  ‖u‖: we compare our ``bias_correction=False`` with its
  ``adam_debias=True``, ε = 0 and weights of norm < 10.
- Adafactor: Hugging Face ``transformers.optimization.Adafactor`` is the
  canonical implementation, but transformers is too heavy a test
  dependency, so ``hf_adafactor_step`` below is its update math copied
  (torch, float64) from transformers' ``Adafactor.step``; pytorch-optimizer's
  ``AdaFactor`` differs from it (decoupled decay, a β₂ cap) and is not used.
"""
import math

import numpy as np
import pytest

import tinyopt.optim as optim
from tinyopt.kernels import get_executor
from tinyopt.nn import Parameter

torch = pytest.importorskip("torch")

SHAPES = ((4, 3), (5,), (2, 3, 2))


@pytest.fixture(params=["numpy", "numba"])
def executor(request):
    """Each reference test runs on both executors: the readable rule and its compiled loop."""
    return request.param


def run_both(ours, theirs, executor, n_steps=40, shapes=SHAPES, scale=1.0, seed=0):
    """Run a tinyopt optimizer (on ``executor``) and a torch one from the same start on the
    same gradients."""
    rng = np.random.default_rng(seed)
    initial = [scale * rng.standard_normal(shape) for shape in shapes]
    our_params = [Parameter(x.copy()) for x in initial]
    their_params = [torch.tensor(x.copy(), requires_grad=True) for x in initial]
    our_optimizer, their_optimizer = ours(our_params), theirs(their_params)
    our_optimizer.executor = get_executor(executor)
    for _ in range(n_steps):
        for mine, other in zip(our_params, their_params):
            grad = rng.standard_normal(mine.shape)
            mine.grad = grad.copy()
            other.grad = torch.tensor(grad.copy())
        our_optimizer.step()
        their_optimizer.step()
    for mine, other in zip(our_params, their_params):
        np.testing.assert_allclose(mine.array, other.detach().numpy(), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------- pytorch-optimizer
@pytest.fixture(scope="module")
def pytorch_optimizer():
    return pytest.importorskip("pytorch_optimizer")


@pytest.mark.parametrize("options", [dict(), dict(weight_decay=0.5), dict(maximize=True),
                                     dict(betas=(0.5, 0.9), weight_decay=0.1)])
def test_lion_matches_pytorch_optimizer(pytorch_optimizer, options, executor):
    lr = 0.01
    run_both(lambda ps: optim.Lion(ps, lr=lr, **options),
             lambda ps: pytorch_optimizer.Lion(ps, lr=lr, foreach=False, **options), executor)


@pytest.mark.parametrize("options", [dict(), dict(weight_decay=1e-2), dict(nesterov=True),
                                     dict(momentum=0.5, weight_decay=0.1, maximize=True)])
def test_lars_matches_pytorch_optimizer(pytorch_optimizer, options, executor):
    # 1-D parameters get plain SGD momentum in both (our exclude_1d=True default).
    lr = 0.5
    run_both(lambda ps: optim.LARS(ps, lr=lr, **options),
             lambda ps: pytorch_optimizer.LARS(ps, lr=lr, foreach=False, **options), executor)


@pytest.mark.parametrize("options", [dict(), dict(weight_decay=0.1),
                                     dict(betas=(0.8, 0.99), weight_decay=0.01)])
def test_lamb_matches_pytorch_optimizer(pytorch_optimizer, options, executor):
    lr = 0.01
    run_both(lambda ps: optim.LAMB(ps, lr=lr, eps=0.0, bias_correction=False, **options),
             lambda ps: pytorch_optimizer.Lamb(ps, lr=lr, eps=0.0, weight_decouple=False,
                                               adam_debias=True, foreach=False, **options),
             executor, scale=0.5)


def test_lamb_without_trust_ratio_matches_pytorch_optimizers_adam_mode(pytorch_optimizer,
                                                                       executor):
    run_both(lambda ps: optim.LAMB(ps, lr=0.01, eps=0.0, bias_correction=False,
                                   layer_adaptation=False),
             lambda ps: pytorch_optimizer.Lamb(ps, lr=0.01, eps=0.0, adam=True, adam_debias=True,
                                               foreach=False), executor)


# ------------------------------------------------------- Hugging Face Adafactor
def hf_rms(tensor):
    return tensor.norm(2) / (tensor.numel() ** 0.5)


def hf_get_lr(group, state):
    rel_step_sz = group["lr"]
    if group["relative_step"]:
        min_step = 1e-6 * state["step"] if group["warmup_init"] else 1e-2
        rel_step_sz = min(min_step, 1.0 / math.sqrt(state["step"]))
    param_scale = 1.0
    if group["scale_parameter"]:
        param_scale = max(group["eps"][1], state["RMS"])
    return param_scale * rel_step_sz


def hf_approx_sq_grad(exp_avg_sq_row, exp_avg_sq_col):
    r_factor = (exp_avg_sq_row / exp_avg_sq_row.mean(dim=-1, keepdim=True)).rsqrt_().unsqueeze(-1)
    c_factor = exp_avg_sq_col.unsqueeze(-2).rsqrt()
    return torch.mul(r_factor, c_factor)


class HFAdafactor(torch.optim.Optimizer):
    """transformers.optimization.Adafactor's ``step``, copied (float paths only) as a reference."""

    def __init__(self, params, lr=None, eps=(1e-30, 1e-3), clip_threshold=1.0, decay_rate=-0.8,
                 beta1=None, weight_decay=0.0, scale_parameter=True, relative_step=True,
                 warmup_init=False):
        defaults = dict(lr=lr, eps=eps, clip_threshold=clip_threshold, decay_rate=decay_rate,
                        beta1=beta1, weight_decay=weight_decay, scale_parameter=scale_parameter,
                        relative_step=relative_step, warmup_init=warmup_init)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                state = self.state[p]
                grad_shape = grad.shape
                factored = len(grad_shape) >= 2
                use_first_moment = group["beta1"] is not None
                if len(state) == 0:
                    state["step"] = 0
                    if use_first_moment:
                        state["exp_avg"] = torch.zeros_like(grad)
                    if factored:
                        state["exp_avg_sq_row"] = torch.zeros(grad_shape[:-1]).to(grad)
                        state["exp_avg_sq_col"] = torch.zeros(grad_shape[:-2]
                                                              + grad_shape[-1:]).to(grad)
                    else:
                        state["exp_avg_sq"] = torch.zeros_like(grad)
                    state["RMS"] = 0
                state["step"] += 1
                state["RMS"] = hf_rms(p)
                lr = hf_get_lr(group, state)
                beta2t = 1.0 - math.pow(state["step"], group["decay_rate"])
                update = (grad ** 2) + group["eps"][0]
                if factored:
                    exp_avg_sq_row = state["exp_avg_sq_row"]
                    exp_avg_sq_col = state["exp_avg_sq_col"]
                    exp_avg_sq_row.mul_(beta2t).add_(update.mean(dim=-1), alpha=(1.0 - beta2t))
                    exp_avg_sq_col.mul_(beta2t).add_(update.mean(dim=-2), alpha=(1.0 - beta2t))
                    update = hf_approx_sq_grad(exp_avg_sq_row, exp_avg_sq_col)
                    update.mul_(grad)
                else:
                    exp_avg_sq = state["exp_avg_sq"]
                    exp_avg_sq.mul_(beta2t).add_(update, alpha=(1.0 - beta2t))
                    update = exp_avg_sq.rsqrt().mul_(grad)
                update.div_((hf_rms(update) / group["clip_threshold"]).clamp_(min=1.0))
                update.mul_(lr)
                if use_first_moment:
                    exp_avg = state["exp_avg"]
                    exp_avg.mul_(group["beta1"]).add_(update, alpha=(1 - group["beta1"]))
                    update = exp_avg
                if group["weight_decay"] != 0:
                    p.add_(p, alpha=(-group["weight_decay"] * lr))
                p.add_(-update)


@pytest.mark.parametrize("options", [
    dict(),
    dict(warmup_init=True),
    dict(beta1=0.9, weight_decay=0.1),
    dict(lr=1e-2, relative_step=False, scale_parameter=False, clip_threshold=0.5),
    dict(lr=3e-2, relative_step=False, beta1=0.5, decay_rate=-0.5, eps=(1e-20, 1e-2)),
])
def test_adafactor_matches_hugging_faces(options, executor):
    run_both(lambda ps: optim.Adafactor(ps, **options), lambda ps: HFAdafactor(ps, **options),
             executor, n_steps=60, shapes=SHAPES + ((), (1, 7)))
