r"""Exercise warmup_cosine: linear warmup, then a cosine decay to a floor.

Write ``warmup_cosine(step, ...)``, the learning rate at ``step`` (0, 1, 2, ...)::

    lr = base_lr · step / warmup_steps                      step < warmup_steps
    p  = min(1, (step - warmup_steps) / (total_steps - warmup_steps))
    lr = min_lr + (base_lr - min_lr) · (1 + cos(π p)) / 2    afterwards (flat at min_lr
                                                              past total_steps)

Hint: the warmup starts at 0, not at the peak: large early steps are what
warmup avoids. Plug it into training with ``LambdaLR(opt, lambda s:
warmup_cosine(s, 1.0, ...))``.

Check: ``tinyopt check warmup_cosine --file warmup_cosine.py``.
"""
import math  # noqa: F401  (you will need math.cos and math.pi)


def warmup_cosine(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    raise NotImplementedError("exercise: warmup_cosine: the rate at this step "
                              "(see the docstring)")
