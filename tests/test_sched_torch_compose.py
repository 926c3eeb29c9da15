"""Issue 13: schedulers compose, resume and anneal exactly as PyTorch's do (torch 2.13,
float64, every rate to 1e-12): every ordered pair of the 14 base schedulers stepped side
by side, the issue's composition cases, resuming from ``initial_lr`` and PyTorch's SWA
recipe end to end."""
import itertools

import numpy as np
import pytest

from sched_torch_helpers import (BASE, THEIRS, close, optimizer_step, optimizers, ours,
                                 run_both, step_scheduler, torch, values)
from tinyopt import backend, nn, optim
from tinyopt.optim import swa_utils as swa

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.mark.parametrize("first, second", list(itertools.permutations(sorted(BASE), 2)))
def test_every_pair_stepped_side_by_side_matches_torch(first, second):
    run_both(lambda m, o: [BASE[first](m, o), BASE[second](m, o)], steps=30)


def test_issue_case_1_cosine_and_exponential_multiply():
    tiny_opt, _, _, _ = run_both(lambda m, o: [m.CosineAnnealingLR(o, T_max=10),
                                               m.ExponentialLR(o, gamma=0.9)], steps=1)
    expected = 0.05 * 0.9 * (1 + np.cos(np.pi / 10)) / 2   # both factors, not the last one
    assert values(tiny_opt)[1] == pytest.approx(expected, rel=1e-12)
    for schedulers in ([("StepLR", "ExponentialLR")], [("LinearLR", "CosineAnnealingLR")],
                       [("ConstantLR", "PolynomialLR")], [("MultiStepLR", "LambdaLR")]):
        for a, b in schedulers:
            run_both(lambda m, o: [BASE[a](m, o), BASE[b](m, o)], steps=30)


def test_issue_case_2_base_rates_are_initial_lr_and_hand_set_rates_are_kept():
    def build(m, o):
        first = m.ExponentialLR(o, gamma=0.5)
        first.step()   # the rate has moved before the second scheduler is built
        return [first, m.StepLR(o, step_size=3, gamma=0.1)]

    tiny_opt, ref_opt, tiny, ref = run_both(build, steps=0)
    assert tiny[1].base_lrs == ref[1].base_lrs == [0.1, 0.05]
    assert [g["initial_lr"] for g in tiny_opt.param_groups] == [0.1, 0.05]

    def hand_set(scheduler, step):
        if step == 4 and "Cosine" in type(scheduler).__name__:
            scheduler.optimizer.param_groups[0]["lr"] = 0.02   # kept by chainable forms
        step_scheduler(scheduler, step)

    run_both(lambda m, o: [m.CosineAnnealingLR(o, 20), m.MultiStepLR(o, [6, 9])], 25,
             step=hand_set)


def _checkpoint(steps):
    tiny_opt, _ = optimizers()
    scheduler = ours.StepLR(tiny_opt, step_size=3, gamma=0.5)
    for _ in range(steps):
        optimizer_step(tiny_opt)
        scheduler.step()
    return tiny_opt.state_dict(), scheduler.state_dict()


def test_issue_case_2_resume_with_last_epoch_after_optimizer_load_state_dict():
    """PyTorch's resume: restore the optimizer (its groups hold 'initial_lr'), then build
    the scheduler with last_epoch=n; the rates continue as PyTorch's do."""
    saved_optimizer, _ = _checkpoint(7)
    ref_opt = optimizers()[1]
    ref = THEIRS.StepLR(ref_opt, step_size=3, gamma=0.5)
    for _ in range(7):
        optimizer_step(ref_opt)
        ref.step()
    tiny_opt = optimizers()[0]
    tiny_opt.load_state_dict(saved_optimizer)
    tiny = ours.StepLR(tiny_opt, step_size=3, gamma=0.5, last_epoch=6)
    resumed = THEIRS.StepLR(ref_opt, step_size=3, gamma=0.5, last_epoch=6)
    for t in range(10):
        close(values(tiny_opt), values(ref_opt), f"resumed step {t}")
        close(tiny.base_lrs, resumed.base_lrs)
        for optimizer, scheduler in ((tiny_opt, tiny), (ref_opt, resumed)):
            optimizer_step(optimizer)
            scheduler.step()


def test_issue_case_2_resume_with_last_epoch_where_groups_hold_initial_lr():
    """The same resume on optimizers whose groups already hold 'initial_lr' (the state
    loaded into an optimizer a scheduler was built on)."""
    def build(m, o):
        first = m.StepLR(o, step_size=3, gamma=0.5)
        for _ in range(7):
            optimizer_step(o)
            first.step()
        return [m.StepLR(o, step_size=3, gamma=0.5, last_epoch=7)]

    tiny_opt, ref_opt, tiny, ref = run_both(build, steps=12)
    assert tiny[0].last_epoch == ref[0].last_epoch


def test_issue_case_4_chained_children_report_their_own_rates():
    run_both(lambda m, o: [m.ChainedScheduler([m.ConstantLR(o, 0.5, 4), m.ExponentialLR(o, 0.9),
                                               m.CosineAnnealingLR(o, 15, 1e-3)])], steps=30)
    tiny_opt, ref_opt = optimizers()
    mine = [ours.ExponentialLR(tiny_opt, 0.9), ours.StepLR(tiny_opt, 2)]
    theirs = [THEIRS.ExponentialLR(ref_opt, 0.9), THEIRS.StepLR(ref_opt, 2)]
    chained, reference = ours.ChainedScheduler(mine), THEIRS.ChainedScheduler(theirs)
    for _ in range(6):
        optimizer_step(tiny_opt), optimizer_step(ref_opt)
        chained.step(), reference.step()
        for a, b in zip(mine, theirs):
            close(a.get_last_lr(), b.get_last_lr())
    close(chained.get_last_lr(), reference.get_last_lr())


def test_sequential_of_chainable_and_absolute_children_matches_torch():
    run_both(lambda m, o: [m.SequentialLR(o, [m.LinearLR(o, 0.1, total_iters=5),
                                              m.CosineAnnealingLR(o, 10, 1e-3),
                                              m.CyclicLR(o, 0.01, 0.1, 3, cycle_momentum=False)],
                                          milestones=[5, 15])], steps=30)


def _swa_run(lib, data):
    """PyTorch's documented SWA recipe: SGD + CosineAnnealingLR, then SWALR from swa_start."""
    x, y = data
    if lib == "torch":
        model = torch.nn.Linear(3, 1).double()
        with torch.no_grad():
            model.weight.copy_(torch.tensor([[0.3, -0.2, 0.1]]))
            model.bias.fill_(0.05)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        module, utils = THEIRS, torch.optim.swa_utils
        xs, ys = torch.tensor(x), torch.tensor(y)
    else:
        with backend.default_dtype_as("float64"):
            model = nn.Linear(3, 1)
        model.weight.array[...] = [[0.3, -0.2, 0.1]]
        model.bias.array[...] = 0.05
        optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        module, utils = ours, swa
        xs, ys = nn.Parameter(x, requires_grad=False), nn.Parameter(y, requires_grad=False)
    swa_model = utils.AveragedModel(model)
    scheduler = module.CosineAnnealingLR(optimizer, T_max=20)
    swa_start, swa_scheduler = 10, module.SWALR(optimizer, swa_lr=0.02, anneal_epochs=3)
    rates = []
    for epoch in range(20):
        for batch in range(0, len(x), 4):
            optimizer.zero_grad()
            loss = ((model(xs[batch:batch + 4]) - ys[batch:batch + 4]) ** 2).mean()
            loss.backward()
            optimizer.step()
        if epoch > swa_start:
            swa_model.update_parameters(model)
            swa_scheduler.step()
        else:
            scheduler.step()
        rates.append(float(optimizer.param_groups[0]["lr"]))
    weights = [p.detach().numpy() if lib == "torch" else p.array
               for p in swa_model.module.parameters()]
    return rates, weights


def test_issue_case_3_pytorchs_swa_recipe_end_to_end():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3))
    data = (x, x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * rng.standard_normal((16, 1)))
    tiny_rates, tiny_weights = _swa_run("tinyopt", data)
    ref_rates, ref_weights = _swa_run("torch", data)
    close(tiny_rates, ref_rates, "learning rates")
    assert tiny_rates[11] != pytest.approx(0.05)   # SWALR starts from the cosine's rate
    for mine, theirs in zip(tiny_weights, ref_weights):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-10)  # 80 SGD steps
