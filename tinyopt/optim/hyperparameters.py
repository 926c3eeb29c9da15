"""Up-front checks of optimizer hyper-parameters, with messages naming the argument.

``check_range("betas[0]", 1.0, 0, 1, "[)")`` raises
``ValueError: betas[0] must be in [0, 1), got 1.0``. NaN fails every range.
"""
import math
import numbers

from ..autograd import Tensor

_BRACKETS = {"[]": ("<=", "<="), "[)": ("<=", "<"), "(]": ("<", "<="), "()": ("<", "<")}


def check_range(name, value, low, high=math.inf, bounds="[)"):
    """Raise unless ``low <= value <= high`` (brackets per ``bounds``: "[]", "[)", "(]", "()").

    A ``value`` that is not a real number raises ``TypeError``; one outside
    the interval raises ``ValueError``. Both messages name ``name``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    low_op, high_op = _BRACKETS[bounds]
    above_low = low <= value if low_op == "<=" else low < value
    below_high = value <= high if high_op == "<=" else value < high
    if not (above_low and below_high):
        if high == math.inf:
            interval = f">= {low}" if low_op == "<=" else f"> {low}"
            raise ValueError(f"{name} must be {interval}, got {value!r}")
        raise ValueError(f"{name} must be in {bounds[0]}{low}, {high}{bounds[1]}, got {value!r}")


def check_lr(value, name="lr"):
    """Raise unless the learning rate ``value`` is a finite number >= 0 or a 0-d Tensor
    holding one (PyTorch accepts ``lr=torch.tensor(0.01)``; schedulers keep it a Tensor)."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"Tensor {name} must be 1-element (0-d), got shape "
                             f"{tuple(value.shape)}")
        value = value.item()
    check_range(name, value, 0)


def plain_numbers(group):
    """``group`` with 0-d Tensor hyper-parameters (a Tensor lr) read as Python numbers, for
    the update rules' scalars; the group itself if it holds none."""
    if not any(isinstance(v, Tensor) for k, v in group.items() if k != "params"):
        return group
    return {k: v.item() if isinstance(v, Tensor) and k != "params" else v
            for k, v in group.items()}


def check_flag(name, value):
    """Raise ``TypeError`` unless ``value`` is ``True`` or ``False``."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")


def check_pair(name, value):
    """Raise ``TypeError`` unless ``value`` is a pair such as ``betas=(0.9, 0.999)``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a pair of numbers, got {value!r}")


def check_betas(betas):
    """Raise unless ``betas`` is a pair with each beta in [0, 1)."""
    check_pair("betas", betas)
    check_range("betas[0]", betas[0], 0, 1, "[)")
    check_range("betas[1]", betas[1], 0, 1, "[)")
