"""Scheduler semantics beyond PyTorch parity: closed form == step-by-step (to rounding for
the chainable ones), checkpoints in PyTorch's order (and the other, pending optimizer.py), clear errors, ReduceLROnPlateau inside combinators, per-group schedules,
the call-order warning and the modern schedules' shapes."""
import math
import warnings

import numpy as np
import pytest

from tinyopt import nn, optim
from tinyopt.amp import GradScaler
from tinyopt.optim import lr_scheduler as sched
from tinyopt.optim.lr_scheduler import closed_forms as cf


def _optimizer(lrs=(0.1, 0.01), kind="sgd"):
    groups = [{"params": [nn.Parameter(np.ones(2))], "lr": lr} for lr in lrs]
    return optim.Adam(groups) if kind == "adam" else optim.SGD(groups, momentum=0.9)


def _optimizer_step(optimizer):
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.grad = np.zeros_like(p.array)
    optimizer.step()


FACTORIES = [
    lambda o: sched.StepLR(o, 3, 0.5),
    lambda o: sched.MultiStepLR(o, [5, 9], 0.1),
    lambda o: sched.ExponentialLR(o, 0.9),
    lambda o: sched.PolynomialLR(o, 20, 0.5),
    lambda o: sched.CosineAnnealingLR(o, 13, 1e-3),
    lambda o: sched.CosineAnnealingWarmRestarts(o, 4, 3),
    lambda o: sched.CyclicLR(o, 0.01, 0.1, 5),
    lambda o: sched.OneCycleLR(o, 1.0, total_steps=60),
    lambda o: sched.MultiplicativeLR(o, lambda t: 0.97),
    lambda o: sched.WarmupCosineLR(o, 10, 50, min_lr=1e-4),
    lambda o: sched.WarmupStableDecayLR(o, 5, 20, 15, decay_shape="1-sqrt"),
    lambda o: sched.InverseSqrtLR(o, 8),
    lambda o: sched.SWALR(o, 0.05, anneal_epochs=7),
    lambda o: sched.ChainedScheduler([sched.LinearLR(o, 0.2, total_iters=6),
                                      sched.CosineAnnealingLR(o, 40)]),
    lambda o: sched.SequentialLR(o, [sched.ConstantLR(o, 0.1, 4), sched.ExponentialLR(o, 0.9)],
                                 [4]),
]


@pytest.mark.parametrize("factory", FACTORIES)
def test_closed_form_equals_step_by_step(factory):
    """Absolute schedules step by their closed form (bit for bit); chainable ones by
    PyTorch's recursion, which leaves the closed form by rounding only."""
    optimizer = _optimizer()
    scheduler = factory(optimizer)
    fresh = factory(_optimizer())
    exact = not scheduler.chainable and not isinstance(
        scheduler, (sched.SWALR, sched.ChainedScheduler, sched.SequentialLR))
    for step in range(1, 60):
        _optimizer_step(optimizer)
        scheduler.step()
        if exact:
            assert scheduler.get_last_lr() == fresh.lr_at(step)
        else:
            np.testing.assert_allclose(scheduler.get_last_lr(), fresh.lr_at(step), rtol=1e-12)
        assert [g["lr"] for g in optimizer.param_groups] == scheduler.get_last_lr()


def test_closed_forms_are_the_schedulers_values():
    optimizer = _optimizer()
    scheduler = sched.CosineAnnealingWarmRestarts(optimizer, T_0=5, T_mult=2, eta_min=0.01)
    for step in range(1, 40):
        _optimizer_step(optimizer)
        scheduler.step()
        assert scheduler.get_last_lr()[0] == cf.cosine_warm_restarts_lr(step, 0.1, 5, 2, 0.01)


def test_torch_recursion_drifts_where_the_closed_form_does_not():
    torch = pytest.importorskip("torch")
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=0.1)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.99)
    recursive = []
    for _ in range(1000):
        optimizer.step()
        scheduler.step()
        recursive.append(scheduler.get_last_lr()[0])
    closed = [cf.exponential_lr(t, 0.1, 0.99) for t in range(1, 1001)]
    drift = max(abs(a - b) / b for a, b in zip(recursive, closed))
    assert 0 < drift < 1e-12   # torch's recursion leaves its closed form, by rounding only


def _one_cycle_run(steps, kind):
    optimizer = _optimizer(kind=kind)
    scheduler = sched.OneCycleLR(optimizer, [0.5, 0.1], total_steps=40)
    for _ in range(steps):
        _optimizer_step(optimizer)
        scheduler.step()
    return optimizer, scheduler


def _resume(saved, kind, scheduler_first):
    new_optimizer = _optimizer(kind=kind)
    if scheduler_first:   # PyTorch's order
        new_scheduler = sched.OneCycleLR(new_optimizer, [0.5, 0.1], total_steps=40)
        new_optimizer.load_state_dict(saved["optimizer"])
        new_scheduler.load_state_dict(saved["scheduler"])
    else:
        new_optimizer.load_state_dict(saved["optimizer"])
        new_scheduler = sched.OneCycleLR(new_optimizer, [0.5, 0.1], total_steps=40)
        new_scheduler.load_state_dict(saved["scheduler"])
    _optimizer_step(new_optimizer)
    new_scheduler.step()
    return (new_optimizer.param_groups[0]["lr"], new_scheduler.state_dict(),
            [{k: v for k, v in g.items() if k != "params"} for g in new_optimizer.param_groups])


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_checkpoint_restores_in_pytorchs_order(kind):
    optimizer, scheduler = _one_cycle_run(17, kind)
    saved = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}
    lr, state, groups = _resume(saved, kind, scheduler_first=True)
    assert state["last_epoch"] == 18
    _optimizer_step(optimizer)
    scheduler.step()
    assert lr == optimizer.param_groups[0]["lr"]
    assert groups == [{k: v for k, v in g.items() if k != "params"}
                      for g in optimizer.param_groups]
    assert {"initial_lr", "max_lr", "min_lr"} <= set(optimizer.param_groups[0])


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_checkpoint_restores_with_the_optimizer_first(kind):
    optimizer, scheduler = _one_cycle_run(17, kind)
    saved = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}
    assert _resume(saved, kind, False)[0] == _resume(saved, kind, True)[0]


@pytest.mark.parametrize("build, message", [
    (lambda o: sched.CosineAnnealingLR(o, T_max=0), "T_max must be a positive int"),
    (lambda o: sched.CosineAnnealingLR(o, T_max=-3), "T_max"),
    (lambda o: sched.MultiStepLR(o, [10, 5]), "milestones must be strictly increasing"),
    (lambda o: sched.MultiStepLR(o, [5, 5]), "strictly increasing"),
    (lambda o: sched.SequentialLR(o, [sched.ConstantLR(o), sched.ConstantLR(o)], [3, 5]),
     "one more than the number of milestone"),
    (lambda o: sched.OneCycleLR(o, 0.1, total_steps=10, pct_start=1.0),
     r"pct_start must be in \(0, 1\)"),
    (lambda o: sched.OneCycleLR(o, 0.1, total_steps=10, pct_start=0.0), "pct_start"),
    (lambda o: sched.OneCycleLR(o, 0.1), r"total_steps OR \(epochs AND steps_per_epoch\)"),
    (lambda o: sched.StepLR(o, step_size=0), "step_size"),
    (lambda o: sched.LinearLR(o, start_factor=0.0), "start_factor"),
    (lambda o: sched.CyclicLR(o, 0.01, 0.1, mode="zigzag"), "mode"),
    (lambda o: sched.ReduceLROnPlateau(o, factor=1.0), "factor"),
    (lambda o: sched.WarmupCosineLR(o, 10, 10), "warmup_steps must be < total_steps"),
    (lambda o: sched.LambdaLR(o, [lambda t: 1.0]), "Expected 2 lr_lambdas, but got 1"),
    (lambda o: sched.StepLR(o, 3, gamma=math.nan), "gamma must be >= 0, got nan"),
    (lambda o: sched.CosineAnnealingLR(o, 10, eta_min=-1e-3), "eta_min must be >= 0"),
    (lambda o: sched.OneCycleLR(o, math.inf, total_steps=10), "max_lr must be >= 0, got inf"),
    (lambda o: sched.CyclicLR(o, 0.01, math.inf), "max_lr"),
    (lambda o: sched.SWALR(o, swa_lr=-0.1), "swa_lr"),
    (lambda o: sched.ReduceLROnPlateau(o, min_lr=math.nan), "min_lr"),
])
def test_bad_arguments_raise_clear_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build(_optimizer())


def test_resuming_without_initial_lr_raises_pytorchs_key_error():
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(_optimizer(), 3, last_epoch=4)


def test_foreign_states_and_objects_are_refused():
    optimizer = _optimizer()
    scheduler = sched.StepLR(optimizer, 3)
    with pytest.raises(ValueError, match="optimizer's state_dict"):
        scheduler.load_state_dict(optimizer.state_dict())
    with pytest.raises(ValueError, match=r"missing \['step_size'\].*another scheduler"):
        scheduler.load_state_dict(sched.ExponentialLR(_optimizer(), 0.9).state_dict())
    with pytest.raises(ValueError, match="base_lrs holds 3 values, the optimizer has 2"):
        scheduler.load_state_dict(sched.StepLR(_optimizer((1, 2, 3)), 3).state_dict())
    with pytest.raises(TypeError, match="not an Optimizer"):
        sched.StepLR(object(), 3)
    with pytest.raises(ValueError, match="drives another optimizer"):
        sched.ChainedScheduler([sched.StepLR(_optimizer(), 3), sched.StepLR(optimizer, 3)])
    with pytest.raises(ValueError, match="momentum"):
        sched.OneCycleLR(optim.Adagrad([nn.Parameter(np.ones(1))]), 0.1, total_steps=5)


def test_one_cycle_past_its_end_says_how_to_extend_and_changes_nothing():
    optimizer = _optimizer()
    scheduler = sched.OneCycleLR(optimizer, 0.1, total_steps=5)
    for _ in range(5):
        _optimizer_step(optimizer)
        scheduler.step()
    before = scheduler.state_dict()
    with pytest.raises(ValueError, match="Tried to step 6 times.*total steps is 5.*larger total_steps.*SequentialLR"):
        scheduler.step()
    assert scheduler.state_dict() == before
    extended = sched.SequentialLR(optimizer, [sched.OneCycleLR(optimizer, 0.1, total_steps=5),
                                              sched.ConstantLR(optimizer, factor=1.0)], [5])
    for _ in range(8):
        extended.step()
    assert extended.get_last_lr()[0] == optimizer.param_groups[0]["initial_lr"]  # as in PyTorch


def test_plateau_inside_sequential_and_chained():
    optimizer = _optimizer()
    warmup = sched.LinearLR(optimizer, start_factor=0.5, total_iters=2)
    plateau = sched.ReduceLROnPlateau(optimizer, patience=1, factor=0.5)
    sequential = sched.SequentialLR(optimizer, [warmup, plateau], milestones=[2])
    lrs = []
    for loss in [1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8]:
        _optimizer_step(optimizer)
        sequential.step(loss)
        lrs.append(sequential.get_last_lr()[0])
    assert lrs == pytest.approx([0.075, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025])
    with pytest.raises(TypeError, match="metric"):
        sequential.step()

    optimizer = _optimizer()
    chained = sched.ChainedScheduler([sched.ExponentialLR(optimizer, 0.9),
                                      sched.ReduceLROnPlateau(optimizer, patience=0)])
    for step, loss in enumerate([1.0, 1.0, 0.5], start=1):
        _optimizer_step(optimizer)
        chained.step(loss)
    # one reduction (the second epoch did not improve) on top of 0.9^3
    assert chained.get_last_lr()[0] == pytest.approx(0.1 * 0.9 ** 3 * 0.1)
    restored = sched.ChainedScheduler([sched.ExponentialLR(_optimizer(), 0.9)])
    with pytest.raises(ValueError, match="with 1 schedulers"):
        restored.load_state_dict(chained.state_dict())


def test_per_group_lr_warms_up_only_the_head():
    optimizer = _optimizer((0.1, 0.2))
    body = sched.ExponentialLR(optimizer, gamma=0.9)
    head = sched.LinearLR(optimizer, start_factor=0.1, total_iters=4)
    scheduler = sched.PerGroupLR(optimizer, [body, head])
    assert scheduler.get_last_lr() == pytest.approx([0.1, 0.02])
    for step in range(1, 7):
        _optimizer_step(optimizer)
        scheduler.step()
        assert scheduler.get_last_lr() == pytest.approx(
            [0.1 * 0.9 ** step, 0.2 * cf.linear_lr(step, 1.0, 0.1, 1.0, 4)])
    fixed = sched.PerGroupLR(_optimizer((0.1, 0.2)), [None, None])
    assert fixed.get_last_lr() == [0.1, 0.2]


def test_call_order_warning_and_its_exception_for_a_skipped_scaled_step():
    optimizer = _optimizer()
    scheduler = sched.StepLR(optimizer, 2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        scheduler.step()

    optimizer = _optimizer()
    scheduler = sched.StepLR(optimizer, 2)
    scaler = GradScaler()
    for group in optimizer.param_groups:
        group["params"][0].grad = np.full(2, np.inf)
    assert scaler.step(optimizer) is None and scaler.last_step_skipped
    scaler.update()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()


def test_no_call_order_warning_for_an_optimizer_without_state():
    """Plain SGD keeps no state, so only its step count shows that it stepped."""
    optimizer = optim.SGD([nn.Parameter(np.ones(2))], lr=0.1)
    optimizer.param_groups[0]["params"][0].grad = np.ones(2)
    scheduler = sched.StepLR(optimizer, 2)
    optimizer.step()
    assert optimizer.steps_taken == 1 and not any(optimizer.state.values())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()

def test_modern_schedules_shapes():
    warm = [cf.warmup_cosine_lr(t, 1.0, 10, 110, min_lr=0.1) for t in range(130)]
    assert warm[0] == 0 and warm[5] == 0.5 and warm[10] == 1.0
    assert warm[60] == pytest.approx(0.55) and warm[110] == warm[129] == pytest.approx(0.1)
    wsd = [cf.wsd_lr(t, 1.0, 5, 10, 4, decay_shape="linear") for t in range(25)]
    assert wsd[5:15] == [1.0] * 10 and wsd[17] == 0.5 and wsd[19] == wsd[24] == 0.0
    assert cf.wsd_lr(16, 1.0, 5, 10, 4, decay_shape="1-sqrt") == pytest.approx(0.5)
    assert cf.inverse_sqrt_lr(4, 1.0, 4) == 1.0
    assert cf.inverse_sqrt_lr(16, 1.0, 4) == 0.5 and cf.inverse_sqrt_lr(2, 1.0, 4) == 0.5
    assert cf.warm_restart_position(7.0, 1, 2) == (0.0, 8)   # exactly at a restart
    assert math.isclose(cf.cosine_warm_restarts_lr(7, 1.0, 1, 2), 1.0)
