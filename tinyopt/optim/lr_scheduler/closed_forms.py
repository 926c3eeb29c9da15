r"""Every learning-rate schedule as a pure function of the step: plot one without an optimizer.

Each function maps ``(step, base_lr, hyper-parameters)`` to the learning
rate of that step (``step`` 0 is the value before the first update). The
scheduler classes call these same functions, so the closed form and the
step-by-step form are one computation and cannot drift apart. The formulas
(t the step, η₀ the base rate, η_min a floor)::

    step_lr            η₀ γ^⌊t / step_size⌋
    multistep_lr       η₀ γ^(number of milestones <= t)
    constant_lr        η₀ · factor  while t < total_iters, then η₀
    linear_lr          η₀ (s + (e - s) · min(t, T) / T)
    exponential_lr     η₀ γ^t
    polynomial_lr      η₀ (1 - min(t, T) / T)^power
    cosine_annealing   η_min + (η₀ - η_min)(1 + cos(π t / T_max)) / 2
    warm restarts      the same with t the position inside the current cycle
                       (cycle i lasts T_0 · T_mult^i steps)
    cyclic_lr          η_base + (η_max - η_base) · triangle(t) · scale(cycle or t)
    one_cycle_lr       warm up from max_lr/div_factor to max_lr over pct_start·total,
                       anneal to max_lr/(div_factor·final_div_factor) (cos or linear)
    warmup_cosine_lr   η₀ t / w  while t < w, then cosine from η₀ to η_min by `total_steps`
    wsd_lr             warmup, a stable plateau at η₀, then a short decay to η_min
    inverse_sqrt_lr    η₀ · min(t / w, sqrt(w / t))   (Vaswani et al.'s schedule, peak η₀)

Example::

    >>> from tinyopt.optim.lr_scheduler import closed_forms as cf
    >>> [round(cf.cosine_annealing_lr(t, 0.1, T_max=4), 4) for t in range(5)]
    [0.1, 0.0854, 0.05, 0.0146, 0.0]
"""
import math
from bisect import bisect_right

from ...autograd import Tensor
from ..hyperparameters import check_range

__all__ = ["step_lr", "multistep_lr", "constant_lr", "linear_lr", "exponential_lr",
           "polynomial_lr", "cosine_annealing_lr", "warm_restart_position",
           "cosine_warm_restarts_lr", "cyclic_lr", "cyclic_momentum", "one_cycle_lr",
           "one_cycle_momentum", "warmup_cosine_lr", "wsd_lr", "inverse_sqrt_lr"]


def check_positive_int(name, value):
    """Raise unless ``value`` is an int >= 1 (the message names ``name``)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def check_non_negative_int(name, value):
    """Raise unless ``value`` is an int >= 0 (the message names ``name``)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")


def check_rate(name, value):
    """Raise unless ``value`` (a number or a 0-d Tensor) is finite and >= 0."""
    check_range(name, value.item() if isinstance(value, Tensor) else value, 0)


def check_milestones(milestones):
    """Raise unless ``milestones`` is a strictly increasing list of ints >= 0."""
    milestones = list(milestones)
    for value in milestones:
        check_non_negative_int("each milestone", value)
    if any(later <= earlier for earlier, later in zip(milestones, milestones[1:])):
        raise ValueError(f"milestones must be strictly increasing, got {milestones}")
    return milestones


def step_lr(step, base_lr, step_size, gamma=0.1):
    """``base_lr · gamma^(step // step_size)``: decay by gamma every ``step_size`` steps."""
    check_positive_int("step_size", step_size)
    check_rate("gamma", gamma)
    return base_lr * gamma ** (step // step_size)


def multistep_lr(step, base_lr, milestones, gamma=0.1):
    """``base_lr · gamma^k``, k the number of ``milestones`` (strictly increasing) <= ``step``."""
    check_rate("gamma", gamma)
    return base_lr * gamma ** bisect_right(check_milestones(milestones), step)


def constant_lr(step, base_lr, factor=1.0 / 3, total_iters=5):
    """``base_lr · factor`` for the first ``total_iters`` steps, ``base_lr`` after."""
    check_range("factor", factor, 0, 1, "(]")
    check_non_negative_int("total_iters", total_iters)
    return base_lr * factor if step < total_iters else base_lr


def linear_lr(step, base_lr, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
    """The factor goes linearly from ``start_factor`` to ``end_factor`` over ``total_iters``."""
    check_range("start_factor", start_factor, 0, 1, "(]")
    check_range("end_factor", end_factor, 0, 1, "[]")
    check_positive_int("total_iters", total_iters)
    progress = min(total_iters, step) / total_iters
    return base_lr * (start_factor + (end_factor - start_factor) * progress)


def exponential_lr(step, base_lr, gamma):
    """``base_lr · gamma^step``."""
    check_rate("gamma", gamma)
    return base_lr * gamma ** step


def polynomial_lr(step, base_lr, total_iters=5, power=1.0):
    """``base_lr · (1 - min(step, total_iters) / total_iters)^power``; 0 from ``total_iters`` on."""
    check_positive_int("total_iters", total_iters)
    check_rate("power", power)
    return base_lr * (1.0 - min(total_iters, step) / total_iters) ** power


def cosine_annealing_lr(step, base_lr, T_max, eta_min=0.0):
    """Half a cosine from ``base_lr`` (step 0) to ``eta_min`` (step ``T_max``), then back up."""
    check_positive_int("T_max", T_max)
    check_rate("eta_min", eta_min)
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * step / T_max)) / 2


def warm_restart_position(epoch, T_0, T_mult=1):
    """``(T_cur, T_i)``: how far ``epoch`` (fractional allowed) is into its cycle, and its length.

    Cycles last T_0, T_0·T_mult, T_0·T_mult², ... Found by walking the cycles
    (exact, unlike a floating-point logarithm at the cycle boundaries).
    """
    check_positive_int("T_0", T_0)
    check_positive_int("T_mult", T_mult)
    if epoch < 0:
        raise ValueError(f"epoch must be >= 0, got {epoch}")
    if T_mult == 1:
        return epoch % T_0, T_0
    start, length = 0, T_0
    while epoch >= start + length:
        start, length = start + length, length * T_mult
    return epoch - start, length


def cosine_warm_restarts_lr(epoch, base_lr, T_0, T_mult=1, eta_min=0.0):
    """SGDR: a cosine from ``base_lr`` to ``eta_min`` inside each cycle, restarting at its end."""
    T_cur, T_i = warm_restart_position(epoch, T_0, T_mult)
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2


_CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


def _cyclic_shape(step, step_size_up, step_size_down, mode, gamma, scale_fn, scale_mode):
    """``(height in [0, 1] of the triangle at step, scale of the amplitude)``."""
    if step_size_up <= 0 or (step_size_down is not None and step_size_down <= 0):
        raise ValueError("step_size_up and step_size_down must be > 0, got "
                         f"{step_size_up} and {step_size_down}")
    up = float(step_size_up)
    down = float(step_size_down) if step_size_down is not None else up
    total, up_ratio = up + down, up / (up + down)
    cycle = math.floor(1 + step / total)
    x = 1.0 + step / total - cycle
    height = x / up_ratio if x <= up_ratio else (x - 1) / (up_ratio - 1)
    if scale_fn is None:
        if mode not in _CYCLIC_MODES:
            raise ValueError(f"mode must be one of {_CYCLIC_MODES} (or give scale_fn), "
                             f"got {mode!r}")
        scale_fn = {"triangular": lambda c: 1.0, "triangular2": lambda c: 1 / 2.0 ** (c - 1),
                    "exp_range": lambda t: gamma ** t}[mode]
        scale_mode = "iterations" if mode == "exp_range" else "cycle"
    elif scale_mode not in ("cycle", "iterations"):
        raise ValueError(f"scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}")
    return height, scale_fn(cycle if scale_mode == "cycle" else step)


def cyclic_lr(step, base_lr, max_lr, step_size_up=2000, step_size_down=None,
              mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle"):
    """Smith's cyclical rate: a triangle between ``base_lr`` and ``max_lr``, scaled by ``mode``."""
    height, scale = _cyclic_shape(step, step_size_up, step_size_down, mode, gamma, scale_fn,
                                  scale_mode)
    return base_lr + (max_lr - base_lr) * height * scale


def cyclic_momentum(step, base_momentum=0.8, max_momentum=0.9, step_size_up=2000,
                    step_size_down=None, mode="triangular", gamma=1.0, scale_fn=None,
                    scale_mode="cycle"):
    """The momentum that ``CyclicLR`` pairs with ``cyclic_lr``: high when the rate is low."""
    height, scale = _cyclic_shape(step, step_size_up, step_size_down, mode, gamma, scale_fn,
                                  scale_mode)
    return max_momentum - (max_momentum - base_momentum) * height * scale


def anneal(start, end, pct, strategy):
    """From ``start`` (pct 0) to ``end`` (pct 1): half a cosine ('cos') or a line ('linear')."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


def one_cycle_phase(step, total_steps, pct_start, anneal_strategy, three_phase):
    """``(phase index, fraction of that phase done)`` for step; raises past ``total_steps``."""
    check_positive_int("total_steps", total_steps)
    if isinstance(pct_start, bool) or not isinstance(pct_start, (int, float)) \
            or not 0 < pct_start < 1:
        raise ValueError(f"pct_start must be in (0, 1), got {pct_start!r}")
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
    if step > total_steps:
        raise ValueError(
            f"OneCycleLR was stepped to step {step}, past total_steps={total_steps}. To train "
            "longer, build it with a larger total_steps (or epochs * steps_per_epoch counting "
            "every scheduler.step()), or continue after it with another schedule, e.g. "
            f"SequentialLR(optimizer, [one_cycle, ConstantLR(optimizer, factor=1.0)], "
            f"milestones=[{total_steps}])")
    ends = [pct_start * total_steps - 1, 2 * pct_start * total_steps - 2, total_steps - 1]
    ends = ends if three_phase else [ends[0], ends[2]]
    start = 0.0
    for index, end in enumerate(ends):
        if step <= end or index == len(ends) - 1:
            return index, (step - start) / (end - start)
        start = end


def one_cycle_lr(step, max_lr, total_steps, pct_start=0.3, anneal_strategy="cos",
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
    """Smith's 1cycle: up from ``max_lr/div_factor`` to ``max_lr``, then down to
    ``max_lr/(div_factor·final_div_factor)`` (three_phase: down to the start first)."""
    index, pct = one_cycle_phase(step, total_steps, pct_start, anneal_strategy, three_phase)
    initial = max_lr / div_factor
    low = initial / final_div_factor
    phases = [(initial, max_lr), (max_lr, initial), (initial, low)] if three_phase \
        else [(initial, max_lr), (max_lr, low)]
    return anneal(*phases[index], pct, anneal_strategy)


def one_cycle_momentum(step, total_steps, pct_start=0.3, anneal_strategy="cos",
                       base_momentum=0.85, max_momentum=0.95, three_phase=False):
    """The momentum (or Adam's beta1) paired with ``one_cycle_lr``: down while the rate goes up."""
    index, pct = one_cycle_phase(step, total_steps, pct_start, anneal_strategy, three_phase)
    phases = [(max_momentum, base_momentum), (base_momentum, max_momentum),
              (max_momentum, max_momentum)] if three_phase \
        else [(max_momentum, base_momentum), (base_momentum, max_momentum)]
    return anneal(*phases[index], pct, anneal_strategy)


def _warmup(step, base_lr, warmup_steps):
    """Linear warmup from 0 (step 0) towards ``base_lr`` (reached at ``warmup_steps``)."""
    return base_lr * step / warmup_steps


def warmup_cosine_lr(step, base_lr, warmup_steps, total_steps, min_lr=0.0):
    """Linear warmup from 0 for ``warmup_steps``, then a cosine from ``base_lr`` down to
    ``min_lr`` at ``total_steps``, flat at ``min_lr`` after (the transformer standard;
    Hugging Face's ``get_cosine_schedule_with_warmup`` with a floor)."""
    check_non_negative_int("warmup_steps", warmup_steps)
    check_positive_int("total_steps", total_steps)
    if warmup_steps >= total_steps:
        raise ValueError(f"warmup_steps must be < total_steps, got {warmup_steps} >= "
                         f"{total_steps}")
    if step < warmup_steps:
        return _warmup(step, base_lr, warmup_steps)
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2


_WSD_SHAPES = {"linear": lambda p: 1.0 - p, "cosine": lambda p: (1 + math.cos(math.pi * p)) / 2,
               "1-sqrt": lambda p: 1.0 - math.sqrt(p)}


def wsd_lr(step, base_lr, warmup_steps, stable_steps, decay_steps, min_lr=0.0,
           decay_shape="linear"):
    """Warmup-stable-decay (MiniCPM; Hägele et al. 2024): linear warmup from 0, a plateau
    at ``base_lr`` for ``stable_steps``, then ``decay_steps`` down to ``min_lr`` with
    ``decay_shape`` 'linear', 'cosine' or '1-sqrt'; flat at ``min_lr`` after."""
    check_non_negative_int("warmup_steps", warmup_steps)
    check_non_negative_int("stable_steps", stable_steps)
    check_positive_int("decay_steps", decay_steps)
    if decay_shape not in _WSD_SHAPES:
        raise ValueError(f"decay_shape must be one of {sorted(_WSD_SHAPES)}, got {decay_shape!r}")
    if step < warmup_steps:
        return _warmup(step, base_lr, warmup_steps)
    if step < warmup_steps + stable_steps:
        return base_lr
    progress = min(1.0, (step - warmup_steps - stable_steps) / decay_steps)
    return min_lr + (base_lr - min_lr) * _WSD_SHAPES[decay_shape](progress)


def inverse_sqrt_lr(step, base_lr, warmup_steps):
    """``base_lr · min(step / w, sqrt(w / step))``: linear warmup, then decay as 1/√step
    (Vaswani et al. 2017, normalised to peak at ``base_lr`` at step w)."""
    check_positive_int("warmup_steps", warmup_steps)
    if step < warmup_steps:
        return _warmup(step, base_lr, warmup_steps)
    return base_lr * math.sqrt(warmup_steps / step)
