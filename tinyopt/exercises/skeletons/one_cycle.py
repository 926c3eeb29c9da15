r"""Exercise one_cycle: Smith's 1cycle schedule, as torch.optim.lr_scheduler.OneCycleLR.

Write ``one_cycle(step, ...)``, the learning rate at ``step`` = 0 .. total_steps - 1,
with cosine annealing ``anneal(a, b, pct) = b + (a - b) (1 + cos(π pct)) / 2``::

    initial = max_lr / div_factor,   final = initial / final_div_factor
    peak = pct_start · total_steps - 1                   the step where lr = max_lr
    step <= peak:  lr = anneal(initial, max_lr, step / peak)
    afterwards:    lr = anneal(max_lr, final, (step - peak) / (total_steps - 1 - peak))

Hint: the anneal ends far below where the warmup started (final_div_factor).

Check: ``tinyopt check one_cycle --file one_cycle.py``.
"""
import math  # noqa: F401


def one_cycle(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    raise NotImplementedError("exercise: one_cycle: the rate at this step (see the docstring)")
