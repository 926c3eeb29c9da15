"""Every scheduler PyTorch has, step for step against torch over 120 steps with three
param groups, including momentum cycling and a state_dict resume half-way.

Both libraries step the chainable schedulers by PyTorch's recursion
(``lr ← lr · γ``); the tolerance below (1e-12 relative) is far tighter than
any real difference and looser than rounding.
"""
import math

import numpy as np
import pytest

import tinyopt
from tinyopt import nn, optim
from tinyopt.optim import lr_scheduler as ours

torch = pytest.importorskip("torch")
theirs = torch.optim.lr_scheduler

STEPS, RESUME_AT, RTOL = 120, 50, 1e-12
LRS = [0.1, 0.05, 0.2]


def _groups(make_param):
    return [{"params": [make_param()], "lr": lr} for lr in LRS]


def _tiny_optimizer(kind):
    groups = _groups(lambda: nn.Parameter(np.zeros(3)))
    if kind == "adam":
        return optim.Adam(groups, betas=(0.9, 0.999))
    return optim.SGD(groups, momentum=0.9)


def _torch_optimizer(kind):
    groups = _groups(lambda: torch.zeros(3, dtype=torch.float64, requires_grad=True))
    if kind == "adam":
        return torch.optim.Adam(groups, betas=(0.9, 0.999))
    return torch.optim.SGD(groups, momentum=0.9)


def _zero_grads(optimizer):
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.grad = np.zeros(3) if isinstance(p, tinyopt.Tensor) else torch.zeros_like(p)


def _momentums(optimizer):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in optimizer.param_groups]


def _metric(step):
    """A validation loss that improves, plateaus, and gets noisy: every plateau branch runs."""
    return 1.0 / (1 + step // 7) + 0.01 * math.sin(step) if step < 60 else 0.2 + 0.001 * (step % 3)


# name -> (factory(module, optimizer), optimizer kind, steps with a metric?)
CASES = {
    "StepLR": (lambda m, o: m.StepLR(o, step_size=7, gamma=0.5), "sgd"),
    "MultiStepLR": (lambda m, o: m.MultiStepLR(o, milestones=[10, 30, 75], gamma=0.3), "sgd"),
    "ConstantLR": (lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=20), "sgd"),
    "LinearLR": (lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9,
                                         total_iters=40), "sgd"),
    "ExponentialLR": (lambda m, o: m.ExponentialLR(o, gamma=0.97), "sgd"),
    "PolynomialLR": (lambda m, o: m.PolynomialLR(o, total_iters=80, power=2.0), "sgd"),
    "CosineAnnealingLR": (lambda m, o: m.CosineAnnealingLR(o, T_max=30, eta_min=0.001), "sgd"),
    "CosineAnnealingWarmRestarts": (
        lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7, T_mult=2, eta_min=1e-4), "sgd"),
    "CyclicLR-triangular-sgd": (
        lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.02, 0.03], max_lr=0.3, step_size_up=9,
                                step_size_down=13), "sgd"),
    "CyclicLR-triangular2-adam": (
        lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2, 0.3], step_size_up=10,
                                mode="triangular2", base_momentum=0.85, max_momentum=0.95),
        "adam"),
    "CyclicLR-exp_range": (
        lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.3, step_size_up=6,
                                mode="exp_range", gamma=0.99, cycle_momentum=False), "sgd"),
    "OneCycleLR-cos-sgd": (lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 1.0, 2.0],
                                                      total_steps=STEPS), "sgd"),
    "OneCycleLR-linear-three_phase-adam": (
        lambda m, o: m.OneCycleLR(o, max_lr=0.3, epochs=10, steps_per_epoch=12,
                                  pct_start=0.25, anneal_strategy="linear", three_phase=True,
                                  div_factor=10.0, final_div_factor=100.0), "adam"),
    "LambdaLR-per-group": (
        lambda m, o: m.LambdaLR(o, [lambda t: 1.0, lambda t: min(1.0, (t + 1) / 10),
                                    lambda t: 0.95 ** t]), "sgd"),
    "MultiplicativeLR": (lambda m, o: m.MultiplicativeLR(o, lambda t: 0.98 if t % 2 else 0.99),
                         "sgd"),
    "SequentialLR": (
        lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=10),
                                        m.ExponentialLR(o, gamma=0.95),
                                        m.CosineAnnealingLR(o, T_max=40)],
                                    milestones=[10, 60]), "sgd"),
    "ChainedScheduler": (
        lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.5, total_iters=15),
                                         m.ExponentialLR(o, gamma=0.98),
                                         m.CosineAnnealingLR(o, T_max=200)]), "sgd"),
    "ReduceLROnPlateau-min-rel": (
        lambda m, o: m.ReduceLROnPlateau(o, patience=3, factor=0.5, cooldown=2,
                                         min_lr=[0.001, 0.01, 0.0]), "sgd"),
    "ReduceLROnPlateau-max-abs": (
        lambda m, o: m.ReduceLROnPlateau(o, mode="max", patience=2, threshold=0.01,
                                         threshold_mode="abs", factor=0.7, eps=1e-3), "sgd"),
    "SWALR": (lambda m, o: m.SWALR(o, swa_lr=[0.01, 0.02, 0.05], anneal_epochs=17), "sgd"),
    "SWALR-linear": (lambda m, o: m.SWALR(o, swa_lr=0.03, anneal_epochs=5,
                                          anneal_strategy="linear"), "sgd"),
}


def _step(scheduler, step):
    if "Plateau" in type(scheduler).__name__:
        metric = -_metric(step) if scheduler.mode == "max" else _metric(step)
        scheduler.step(metric)
    else:
        scheduler.step()


def _trace(factory, module, optimizer, steps, first=1, scheduler=None):
    scheduler = scheduler or factory(module, optimizer)
    lrs, momentums = [], []
    for step in range(first, first + steps):
        _zero_grads(optimizer)
        optimizer.step()
        _step(scheduler, step)
        lrs.append(scheduler.get_last_lr())
        momentums.append(_momentums(optimizer))
    return np.array(lrs), np.array(momentums), scheduler


def _torch_module():
    module = type("torch_schedulers", (), {})()
    for name in dir(theirs):
        setattr(module, name, getattr(theirs, name))
    module.SWALR = torch.optim.swa_utils.SWALR
    return module


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_step_for_step_and_after_resume(name):
    factory, kind = CASES[name]
    torch_lrs, torch_momentums, _ = _trace(factory, _torch_module(), _torch_optimizer(kind), STEPS)

    optimizer = _tiny_optimizer(kind)
    first_lrs, first_momentums, scheduler = _trace(factory, ours, optimizer, RESUME_AT)
    checkpoint = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}
    resumed_optimizer = _tiny_optimizer(kind)
    resumed = factory(ours, resumed_optimizer)
    resumed.load_state_dict(checkpoint["scheduler"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    rest_lrs, rest_momentums, _ = _trace(None, ours, resumed_optimizer, STEPS - RESUME_AT,
                                         first=RESUME_AT + 1, scheduler=resumed)

    np.testing.assert_allclose(np.concatenate([first_lrs, rest_lrs]), torch_lrs, rtol=RTOL,
                               atol=1e-15)
    np.testing.assert_allclose(np.concatenate([first_momentums, rest_momentums]),
                               torch_momentums, rtol=RTOL)


def test_warm_restarts_with_fractional_epochs_match_torch():
    optimizer, reference = _tiny_optimizer("sgd"), _torch_optimizer("sgd")
    mine = ours.CosineAnnealingWarmRestarts(optimizer, T_0=3, T_mult=2, eta_min=0.01)
    torch_scheduler = theirs.CosineAnnealingWarmRestarts(reference, T_0=3, T_mult=2,
                                                         eta_min=0.01)
    iters = 5
    for epoch in range(12):
        for i in range(iters):
            _zero_grads(optimizer), _zero_grads(reference)
            optimizer.step(), reference.step()
            mine.step(epoch + i / iters)
            torch_scheduler.step(epoch + i / iters)
            np.testing.assert_allclose(mine.get_last_lr(), torch_scheduler.get_last_lr(),
                                       rtol=RTOL)
            assert mine.T_i == torch_scheduler.T_i
    for _ in range(30):  # then whole epochs, step() continuing from the fractional position
        mine.step(), torch_scheduler.step()
        np.testing.assert_allclose(mine.get_last_lr(), torch_scheduler.get_last_lr(), rtol=RTOL)
