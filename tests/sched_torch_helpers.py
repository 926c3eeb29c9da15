"""Shared by the test_sched_torch_*.py files: the same optimizer and schedulers built in
tinyopt and in torch (float64), stepped side by side and compared to 1e-12."""
import numpy as np
import pytest

import tinyopt
from tinyopt import nn, optim
from tinyopt.optim import lr_scheduler as ours

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-12, 1e-15
LRS = (0.1, 0.05)


def torch_module():
    """``torch.optim.lr_scheduler`` with ``SWALR`` added, to build schedulers by name."""
    module = type("torch_schedulers", (), {})()
    for name in dir(torch.optim.lr_scheduler):
        setattr(module, name, getattr(torch.optim.lr_scheduler, name))
    module.SWALR = torch.optim.swa_utils.SWALR
    return module


THEIRS = torch_module()


def optimizers(kind="sgd", lrs=LRS):
    """A tinyopt and a torch optimizer over one small parameter per group."""
    tiny = [{"params": [nn.Parameter(np.zeros(2))], "lr": lr} for lr in lrs]
    ref = [{"params": [torch.zeros(2, dtype=torch.float64, requires_grad=True)], "lr": lr}
           for lr in lrs]
    if kind == "adam":
        return optim.Adam(tiny, betas=(0.9, 0.999)), torch.optim.Adam(ref, betas=(0.9, 0.999))
    return optim.SGD(tiny, momentum=0.9), torch.optim.SGD(ref, momentum=0.9)


def optimizer_step(optimizer):
    """Zero gradients, then a step (so schedulers see a stepped optimizer)."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.grad = np.zeros(2) if isinstance(p, tinyopt.Tensor) else torch.zeros_like(p)
    optimizer.step()


def values(optimizer, key="lr"):
    """Every group's ``key`` (momentum: beta1 for Adam) as floats."""
    out = []
    for group in optimizer.param_groups:
        value = group["betas"][0] if key == "momentum" and "betas" in group else group[key]
        out.append(float(value.item() if hasattr(value, "item") else value))
    return out


def close(got, expected, what=""):
    got = [float(v.item() if hasattr(v, "item") else v) for v in got]
    expected = [float(v.item() if hasattr(v, "item") else v) for v in expected]
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=what)


def metric(step):
    """A validation loss that improves, then plateaus with noise: every plateau branch runs."""
    return 1.0 / (1 + step // 4) if step < 12 else 0.3 + 0.01 * (step % 3)


def step_scheduler(scheduler, step):
    if "Plateau" in type(scheduler).__name__:
        scheduler.step(metric(step))
    else:
        scheduler.step()


# The 14 base schedulers PyTorch has (all but the combinators), each built by name.
BASE = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda t: 0.9 ** t),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda t: 0.95),
    "StepLR": lambda m, o: m.StepLR(o, 4, 0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, [3, 8, 20], 0.5),
    "ConstantLR": lambda m, o: m.ConstantLR(o, 0.5, 6),
    "LinearLR": lambda m, o: m.LinearLR(o, 0.2, 1.0, 10),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, 0.93),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, 40, 2.0),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, 12, 1e-3),
    "ReduceLROnPlateau": lambda m, o: m.ReduceLROnPlateau(o, patience=2, factor=0.5),
    "CyclicLR": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=5),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, 5, 2, 1e-3),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, 0.5, total_steps=40),
    "SWALR": lambda m, o: m.SWALR(o, 0.05, anneal_epochs=6),
}


def run_both(build, steps, kind="sgd", step=None):
    """Build ``build(module, optimizer)`` (a list of schedulers) in both libraries and step
    them ``steps`` times side by side, comparing every rate, momentum and get_last_lr."""
    tiny_opt, ref_opt = optimizers(kind)
    tiny, ref = build(ours, tiny_opt), build(THEIRS, ref_opt)
    close(values(tiny_opt), values(ref_opt), "after building")
    for t in range(1, steps + 1):
        for optimizer, schedulers in ((tiny_opt, tiny), (ref_opt, ref)):
            optimizer_step(optimizer)
            for scheduler in schedulers:
                (step or step_scheduler)(scheduler, t)
        close(values(tiny_opt), values(ref_opt), f"lr at step {t}")
        close(values(tiny_opt, "momentum"), values(ref_opt, "momentum"), f"momentum at {t}")
        for mine, theirs in zip(tiny, ref):
            close(mine.get_last_lr(), theirs.get_last_lr(),
                  f"{type(mine).__name__}.get_last_lr() at step {t}")
    return tiny_opt, ref_opt, tiny, ref

