"""Issue 13: the scheduler API as PyTorch 2.13 has it — state_dict layouts and round trips,
subclassing both ways, tensor learning rates, add_param_group, T_cur, warnings' wording,
exception types — and loads that fail change nothing."""
import copy
import warnings

import numpy as np
import pytest

import tinyopt
from sched_torch_helpers import (BASE, THEIRS, close, optimizer_step, optimizers, ours, torch,
                                 values, step_scheduler)
from tinyopt import nn, optim
from tinyopt.optim.lr_scheduler import base as sched_base

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


class Warmup:
    """A callable object: its __dict__ travels in LambdaLR's state_dict."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, t):
        return min(1.0, (t + 1) / self.steps)


BUILDS = {**BASE,
          "LambdaLR-object": lambda m, o: m.LambdaLR(o, [Warmup(5), lambda t: 0.9 ** t]),
          "CyclicLR-adam-triangular2": lambda m, o: m.CyclicLR(o, 0.01, 0.1, 4,
                                                               mode="triangular2"),
          "SequentialLR": lambda m, o: m.SequentialLR(
              o, [m.LinearLR(o, 0.1, total_iters=4), m.ExponentialLR(o, 0.9)], [4]),
          "ChainedScheduler": lambda m, o: m.ChainedScheduler(
              [m.ConstantLR(o, 0.5, 6), m.CosineAnnealingLR(o, 9, 1e-3)])}


def _kind(name):
    return "adam" if "adam" in name else "sgd"


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_state_dict_has_pytorchs_keys_and_round_trips(name):
    build, kind = BUILDS[name], _kind(name)
    ref_opt = optimizers(kind)[1]
    ref = build(THEIRS, ref_opt)
    tiny_opt = optimizers(kind)[0]
    tiny = build(ours, tiny_opt)
    for t in range(1, 11):
        for optimizer, scheduler in ((tiny_opt, tiny), (ref_opt, ref)):
            optimizer_step(optimizer)
            step_scheduler(scheduler, t)
    mine, theirs = tiny.state_dict(), ref.state_dict()
    assert set(mine) == set(theirs)
    for key in ("_schedulers",):
        for a, b in zip(mine.get(key, []), theirs.get(key, [])):
            assert set(a) == set(b)
    if name == "LambdaLR-object":
        assert mine["lr_lambdas"] == theirs["lr_lambdas"] == [{"steps": 5}, None]
    saved_optimizer = tiny_opt.state_dict()
    resumed_opt = optimizers(kind)[0]
    resumed = build(ours, resumed_opt)         # PyTorch's order: scheduler, optimizer, state
    resumed_opt.load_state_dict(saved_optimizer)
    resumed.load_state_dict(copy.deepcopy(mine))
    close(resumed.get_last_lr(), ref.get_last_lr())
    for t in range(11, 26):
        for optimizer, scheduler in ((resumed_opt, resumed), (ref_opt, ref)):
            optimizer_step(optimizer)
            step_scheduler(scheduler, t)
        close(values(resumed_opt), values(ref_opt), f"{name} after resume, step {t}")
        close(values(resumed_opt, "momentum"), values(ref_opt, "momentum"))
        close(resumed.get_last_lr(), ref.get_last_lr())


def _pytorch_style(module):
    class HalveEvery3(module.LRScheduler):
        """Written PyTorch's way: a chainable get_lr and a closed form."""

        def get_lr(self):
            if self.last_epoch == 0 or self.last_epoch % 3:
                return [group["lr"] for group in self.optimizer.param_groups]
            return [group["lr"] * 0.5 for group in self.optimizer.param_groups]

        def _get_closed_form_lr(self):
            return [base * 0.5 ** (self.last_epoch // 3) for base in self.base_lrs]
    return HalveEvery3


class Linear10(ours.LRScheduler):
    """Written tinyopt's way: only the closed form."""

    def lr_at(self, step, base_lrs=None):
        return [base * max(0.0, 1 - step / 10) for base in (base_lrs or self.base_lrs)]


def test_issue_case_5_subclasses_written_either_way():
    tiny_opt, ref_opt = optimizers()
    mine, theirs = _pytorch_style(ours)(tiny_opt), _pytorch_style(THEIRS)(ref_opt)
    companion, reference = ours.ExponentialLR(tiny_opt, 0.9), THEIRS.ExponentialLR(ref_opt, 0.9)
    for t in range(1, 12):
        for optimizer, schedulers in ((tiny_opt, (mine, companion)), (ref_opt, (theirs, reference))):
            optimizer_step(optimizer)
            for scheduler in schedulers:
                scheduler.step()
        close(values(tiny_opt), values(ref_opt))
    mine.step(20), theirs.step(20)                    # the closed form, both
    close(values(tiny_opt), values(ref_opt))
    assert mine.lr_at(7) == [0.1 * 0.25, 0.05 * 0.25]  # plotting from _get_closed_form_lr
    own = Linear10(optimizers()[0])
    for _ in range(4):
        own.step()
    assert own.get_last_lr() == pytest.approx([0.06, 0.03], rel=1e-15)
    with pytest.raises(NotImplementedError, match="neither get_lr"):
        type("Nothing", (ours.LRScheduler,), {})(optimizers()[0])


def test_issue_case_6_tensor_learning_rates_stay_tensors():
    lr = tinyopt.Tensor(np.array(0.1))
    tiny_opt = optim.SGD([{"params": [nn.Parameter(np.zeros(2))], "lr": lr}], momentum=0.9)
    ref_lr = torch.tensor(0.1, dtype=torch.float64)
    ref_opt = torch.optim.SGD([{"params": [torch.zeros(2, dtype=torch.float64,
                                                       requires_grad=True)], "lr": ref_lr}],
                              momentum=0.9)
    mine = [ours.ExponentialLR(tiny_opt, 0.9), ours.CosineAnnealingLR(tiny_opt, 7, 1e-3)]
    theirs = [THEIRS.ExponentialLR(ref_opt, 0.9), THEIRS.CosineAnnealingLR(ref_opt, 7, 1e-3)]
    for _ in range(10):
        for scheduler in mine + theirs:
            scheduler.step()
        assert tiny_opt.param_groups[0]["lr"] is lr and ref_opt.param_groups[0]["lr"] is ref_lr
        close(values(tiny_opt), values(ref_opt))
        assert isinstance(mine[1].get_last_lr()[0], tinyopt.Tensor)
        assert mine[1].get_last_lr()[0] is not lr                # a copy, as in torch
    assert isinstance(tiny_opt.param_groups[0]["initial_lr"], tinyopt.Tensor)
    with pytest.raises(ValueError, match="0-d"):
        optim.SGD([nn.Parameter(np.zeros(2))], lr=tinyopt.Tensor(np.ones(2)))
    with pytest.raises(ValueError, match="lr must be >= 0"):
        optim.Adam([nn.Parameter(np.zeros(2))], lr=tinyopt.Tensor(np.array(-1.0)))


@pytest.mark.parametrize("executor", ["numba", "numpy"])
def test_issue_case_6_an_optimizer_steps_with_a_tensor_lr(executor):
    param = nn.Parameter(np.ones(2))
    optimizer = optim.SGD([{"params": [param], "lr": tinyopt.Tensor(np.array(0.5))}])
    optimizer.executor = executor
    param.grad = np.ones(2)
    optimizer.step()
    np.testing.assert_array_equal(param.array, [0.5, 0.5])


def test_issue_case_7_add_param_group_after_a_scheduler():
    for build in (lambda m, o: m.ReduceLROnPlateau(o, patience=0, factor=0.5),
                  lambda m, o: m.StepLR(o, 2), lambda m, o: m.ExponentialLR(o, 0.9)):
        tiny_opt, ref_opt = optimizers()
        mine, theirs = build(ours, tiny_opt), build(THEIRS, ref_opt)
        tiny_opt.add_param_group({"params": [nn.Parameter(np.zeros(2))], "lr": 0.3})
        ref_opt.add_param_group({"params": [torch.zeros(2, dtype=torch.float64,
                                                        requires_grad=True)], "lr": 0.3})
        for t in range(1, 6):
            for optimizer, scheduler in ((tiny_opt, mine), (ref_opt, theirs)):
                optimizer_step(optimizer)
                scheduler.step(2.0) if "Plateau" in type(scheduler).__name__ \
                    else scheduler.step()
            close(values(tiny_opt), values(ref_opt))
    tiny_opt, ref_opt = optimizers()
    mine = ours.ReduceLROnPlateau(tiny_opt, patience=0, min_lr=[0.0, 0.0])
    theirs = THEIRS.ReduceLROnPlateau(ref_opt, patience=0, min_lr=[0.0, 0.0])
    tiny_opt.add_param_group({"params": [nn.Parameter(np.zeros(2))]})
    ref_opt.add_param_group({"params": [torch.zeros(2, requires_grad=True)]})
    mine.step(1.0), theirs.step(1.0)
    with pytest.raises(RuntimeError, match="min_lrs"):
        theirs.step(2.0)
    with pytest.raises(RuntimeError, match="min_lrs"):
        mine.step(2.0)


def test_issue_case_8_warm_restarts_T_cur_can_be_set():
    tiny_opt, ref_opt = optimizers()
    mine = ours.CosineAnnealingWarmRestarts(tiny_opt, 6, 2, 1e-3)
    theirs = THEIRS.CosineAnnealingWarmRestarts(ref_opt, 6, 2, 1e-3)
    for t in range(1, 20):
        if t == 4:
            mine.T_cur = theirs.T_cur = 5
        mine.step(), theirs.step()
        close(values(tiny_opt), values(ref_opt))
        assert (mine.T_cur, mine.T_i) == (theirs.T_cur, theirs.T_i)


def _warnings(action):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    return [str(w.message) for w in caught]


def test_issue_case_9_warnings_have_pytorchs_wording():
    def call_order(module, optimizer):
        scheduler = module.StepLR(optimizer, 2)
        return lambda: scheduler.step()

    def epoch_argument(module, optimizer):
        scheduler = module.StepLR(optimizer, 2)
        optimizer_step(optimizer)
        return lambda: scheduler.step(3)

    def replaced_step(module, optimizer):
        scheduler = module.StepLR(optimizer, 2)
        optimizer.step = lambda closure=None: None
        return lambda: scheduler.step()

    def get_lr_outside_step(module, optimizer):
        return module.StepLR(optimizer, 2).get_lr

    for case in (call_order, epoch_argument, replaced_step, get_lr_outside_step):
        tiny_opt, ref_opt = optimizers()
        mine, theirs = _warnings(case(ours, tiny_opt)), _warnings(case(THEIRS, ref_opt))
        assert mine == theirs and mine, case.__name__


def test_issue_case_10_exception_types_match():
    for build in (lambda m, o: m.LambdaLR(o, lr_lambda=0.1),
                  lambda m, o: m.LambdaLR(o, [lambda t: 1.0]),
                  lambda m, o: m.MultiplicativeLR(o, [lambda t: 1.0] * 3),
                  lambda m, o: m.StepLR(o, 3, last_epoch=4),
                  lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0),
                  lambda m, o: m.ReduceLROnPlateau(o, factor=1.5),
                  lambda m, o: m.SequentialLR(o, [m.ConstantLR(o)], [3])):
        tiny_opt, ref_opt = optimizers()
        with pytest.raises(Exception) as theirs:
            build(THEIRS, ref_opt)
        with pytest.raises(type(theirs.value)):
            build(ours, tiny_opt)


def _snapshot(scheduler):
    return scheduler.state_dict(), [dict((k, v) for k, v in g.items() if k != "params")
                                    for g in scheduler.optimizer.param_groups]


def test_a_failed_load_state_dict_changes_nothing():
    optimizer = optimizers()[0]
    scheduler = ours.StepLR(optimizer, 2)
    for _ in range(3):
        optimizer_step(optimizer)
        scheduler.step()
    before = _snapshot(scheduler)
    bad = {**scheduler.state_dict(), "last_epoch": "abc"}
    with pytest.raises(TypeError, match="last_epoch must be an int, got 'abc'"):
        scheduler.load_state_dict(bad)
    assert _snapshot(scheduler) == before

    optimizer = optimizers()[0]
    first, second = ours.LinearLR(optimizer, 0.1, total_iters=3), ours.ExponentialLR(optimizer, 0.9)
    sequential = ours.SequentialLR(optimizer, [first, second], [3])
    for _ in range(5):
        optimizer_step(optimizer)
        sequential.step()
    before = _snapshot(sequential)
    state = sequential.state_dict()
    other = copy.deepcopy(state)
    other["last_epoch"] = 1
    other["_schedulers"][0]["last_epoch"] = 1
    other["_schedulers"][1]["base_lrs"] = [0.1]          # the second child's state is bad
    with pytest.raises(ValueError, match="base_lrs holds 1 values"):
        sequential.load_state_dict(other)
    assert _snapshot(sequential) == before
    del other["_schedulers"][1]["gamma"]
    with pytest.raises(ValueError, match=r"missing \['gamma'\]"):
        sequential.load_state_dict(other)
    assert _snapshot(sequential) == before
    assert sched_base.CALL_ORDER_WARNING.startswith("Detected call of `lr_scheduler.step()`")
