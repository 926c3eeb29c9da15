r"""What the experiment exercises share: the fixed problems, the models, and the checks of what a
student's experiment returns.

An experiment exercise (a scheduler ablation, a large-batch study, ...)
asks for numbers: loss curves, test accuracies, which arm won. The grader
hands the student's function the same fixed problem the reference gets — a
``make_model()`` that builds the same initial weights every call, the same
batches in the same order — so a correct experiment reproduces the
reference's numbers up to summation order, and the grader compares every
returned quantity within ``TOLERANCE``. A wrong protocol (a model reused
across arms, a scheduler stepped per epoch, accuracy on the training set)
moves them far more.

Everything runs in float64 on the NumPy executor, small enough that one
experiment takes about a second.
"""
import contextlib
import os

import numpy as np

TOLERANCE = (1e-8, 1e-6)
"""(atol, rtol) for experiment quantities: the same run gives the same numbers up to the
order of its sums; every mistake the exercises diagnose moves them by far more."""


@contextlib.contextmanager
def numpy_executor():
    """New optimizers built inside run their rules on the NumPy executor (no JIT compiles in
    the grader: the student's and the reference's arithmetic are the same)."""
    before = os.environ.get("TINYOPT_EXECUTOR")
    os.environ["TINYOPT_EXECUTOR"] = "numpy"
    try:
        yield
    finally:
        if before is None:
            del os.environ["TINYOPT_EXECUTOR"]
        else:
            os.environ["TINYOPT_EXECUTOR"] = before


def cnn():
    """The chapter's small CNN for 8x8 digits: conv 3x3 (16 channels), ReLU, adaptive average
    pooling to 2x2, a linear classifier."""
    from .. import nn
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                         nn.Flatten(), nn.Linear(64, 10))


def mlp():
    """A one-hidden-layer MLP for flattened 8x8 digits: 64 -> 32 -> 10."""
    from .. import nn
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


MODELS = {"cnn": cnn, "mlp": mlp}


def model_maker(build, seed=0):
    """``make_model()``: a fresh ``build()`` with the same initial weights at every call."""
    import tinyopt

    def make_model():
        tinyopt.manual_seed(seed)
        return build()
    return make_model


def digits(model, n_train, batch_size):
    """``(make_model, train_batches, test_set)`` on the 8x8 digits (float64): the first
    ``n_train`` training images in fixed batches, and the whole test split."""
    from ..data import load_digits
    x_train, y_train, x_test, y_test = load_digits(seed=0, flatten=model != "cnn")
    batches = [(x_train[i:i + batch_size], y_train[i:i + batch_size])
               for i in range(0, n_train, batch_size)]
    return model_maker(MODELS[model]), batches, (x_test, y_test)


def number(value, what):
    """``value`` as a float, or a ``TypeError`` naming the quantity ``what``."""
    value = getattr(value, "item", lambda: value)()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}")
    return float(value)


def entry(result, key, function_name, shape):
    """``result[key]``, or a ``TypeError``/``ValueError`` saying what ``function_name`` must
    return."""
    if not isinstance(result, dict):
        raise TypeError(f"{function_name} must return a dict (keys: {shape}), returned "
                        f"{type(result).__name__}")
    if key not in result:
        raise ValueError(f"{function_name}'s result has no {key!r} (it has "
                       f"{', '.join(map(repr, result)) or 'no keys'}); expected keys: {shape}")
    return result[key]


def per_arm(value, arms, what):
    """``value[arm]`` for each arm, or a ``ValueError`` naming the arms expected."""
    if not isinstance(value, dict) or set(arms) - set(value):
        have = ", ".join(map(repr, value)) if isinstance(value, dict) else type(value).__name__
        raise ValueError(f"{what} must be a dict with an entry per arm {', '.join(arms)}; "
                       f"got {have}")
    return [value[arm] for arm in arms]


def labelled(value, arms, key, label, convert=number):
    """``{"<arm>: <label>": convert(value[arm])}`` for every arm, ``value`` being the student's
    ``result[key]`` (the summary quantities of a recorded step)."""
    return {f"{arm}: {label}": convert(v, f"{key}[{arm!r}]")
            for arm, v in zip(arms, per_arm(value, arms, key))}


def curve(values, length, what):
    """A list of ``length`` numbers, or a ``ValueError`` saying how many there are."""
    values = [number(v, what) for v in values]
    if len(values) != length:
        raise ValueError(f"{what} must hold {length} values, holds {len(values)}")
    return values


def count_or_none(value, what):
    """An int (or None, recorded as -1) for counts such as epochs to a target."""
    if value is None:
        return -1.0
    found = number(value, what)
    if not found.is_integer():
        raise TypeError(f"{what} must be an int or None, got {value!r}")
    return found


def choice(value, arms, what):
    """The index of arm ``value`` (recorded so the grader can compare it), or a ``ValueError``."""
    if value not in arms:
        raise ValueError(f"{what} must name one of {', '.join(arms)}, got {value!r}")
    return float(arms.index(value))


def record(steps, at, values):
    """Append one recorded step: ``values`` ({quantity: number or array}) labelled ``at``."""
    steps.append({"params": {name: np.array(v, dtype=np.float64) for name, v in values.items()},
                  "state": {}, "at": at})


def global_norm(parameters):
    """sqrt(sum over all gradients of every squared element) (0 when none has a gradient)."""
    return float(np.sqrt(sum(float(np.sum(np.asarray(p.grad.array, np.float64) ** 2))
                             for p in parameters if p.grad is not None)))
