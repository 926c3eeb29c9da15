"""Exercises ``warmup_cosine`` and ``one_cycle``: learning-rate schedules as closed forms.

The student writes ``lr = f(step, ...)``; the grader evaluates it at every
step of a few schedules (and a few steps past the end) against tinyopt's
closed forms, the ones its schedulers are tested against.
"""
import math
from functools import partial

import numpy as np

from ..optim.lr_scheduler.closed_forms import one_cycle_lr, warmup_cosine_lr
from .exercise import FunctionCase, FunctionExercise, Mistake


def _number(value, function_name):
    """``value`` as a float, or a ``TypeError`` saying what the function returned."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{function_name} must return a number (the learning rate), "
                        f"returned {type(value).__name__}")
    return float(value)


def evaluate_schedule(last_step, function, case, steps, progress):
    """Record ``function(step, **case.kwargs)`` for step = 0 .. last_step(case)."""
    for step in range(last_step(case.kwargs) + 1):
        progress(step + 1)
        lr = _number(function(step, **case.kwargs), getattr(function, "__name__", "function"))
        steps.append({"params": {"lr": np.array(lr)}, "state": {}, "at": f"step={step}"})


def _peak_start(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    """Warmup whose first step is already at the peak: lr·(step + 1)/warmup."""
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    return warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr)


def _cosine_over_total(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    """The cosine's progress measured from step 0 instead of the end of the warmup."""
    if step < warmup_steps:
        return warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr)
    progress = min(1.0, step / total_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


def _no_floor(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    return warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, 0.0)


def _one_cycle(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4,
               anneal_strategy="cos"):
    return one_cycle_lr(step, max_lr, total_steps, pct_start, anneal_strategy, div_factor,
                        final_div_factor)


def _one_cycle_final_at_start(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0,
                              final_div_factor=1e4):
    return _one_cycle(step, max_lr, total_steps, pct_start, div_factor, 1.0)


def _one_cycle_phase_at_pct(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0,
                            final_div_factor=1e4):
    """The peak at step pct·total instead of PyTorch's pct·total - 1."""
    peak, initial = pct_start * total_steps, max_lr / div_factor
    low = initial / final_div_factor
    start, end, pct = (initial, max_lr, step / peak) if step <= peak else \
        (max_lr, low, (step - peak) / (total_steps - 1 - peak))
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


EXERCISES = [
    FunctionExercise(
        name="warmup_cosine", title="Linear warmup, then cosine decay", class_name="warmup_cosine",
        goal="why transformers warm up, and what a cosine decay to a floor looks like",
        reference=warmup_cosine_lr,
        cases=[FunctionCase("short warmup", dict(base_lr=0.1, warmup_steps=5, total_steps=30)),
               FunctionCase("floor", dict(base_lr=3e-4, warmup_steps=10, total_steps=40,
                                          min_lr=1e-5)),
               FunctionCase("no warmup", dict(base_lr=1.0, warmup_steps=0, total_steps=20,
                                              min_lr=0.01))],
        evaluate=partial(evaluate_schedule, lambda kwargs: kwargs["total_steps"] + 3),
        what="the learning rate at every step, and past the end",
        mistakes={
            "warmup starts at the peak": Mistake(
                _peak_start, "at step 0 the warmup's rate is 0: lr = base_lr * step / "
                             "warmup_steps, reaching base_lr at step = warmup_steps"),
            "cosine measured from step 0": Mistake(
                _cosine_over_total, "the cosine's progress is (step - warmup_steps) / "
                                    "(total_steps - warmup_steps)"),
            "min_lr ignored": Mistake(
                _no_floor, "the cosine decays from base_lr to min_lr: min_lr + (base_lr - "
                           "min_lr) * (1 + cos(pi * progress)) / 2"),
        }),
    FunctionExercise(
        name="one_cycle", title="OneCycle (Smith's 1cycle), as torch's OneCycleLR",
        class_name="one_cycle",
        goal="a warmup to a high peak and a long anneal far below the start",
        reference=_one_cycle,
        cases=[FunctionCase("defaults", dict(max_lr=0.1, total_steps=20)),
               FunctionCase("short warmup", dict(max_lr=1.0, total_steps=50, pct_start=0.1,
                                                 div_factor=10.0, final_div_factor=100.0))],
        evaluate=partial(evaluate_schedule, lambda kwargs: kwargs["total_steps"] - 1),
        what="the learning rate at every step 0 .. total_steps - 1",
        mistakes={
            "final_div_factor ignored": Mistake(
                _one_cycle_final_at_start,
                "the anneal ends at max_lr / (div_factor * final_div_factor), far below the start"),
            "linear instead of cosine annealing": Mistake(
                partial(_one_cycle, anneal_strategy="linear"),
                "anneal with end + (start - end) * (1 + cos(pi * pct)) / 2"),
            "peak at pct_start * total_steps": Mistake(
                _one_cycle_phase_at_pct,
                "as PyTorch, the peak is at step pct_start * total_steps - 1 and the last "
                "step, total_steps - 1, ends the anneal"),
        }),
]
