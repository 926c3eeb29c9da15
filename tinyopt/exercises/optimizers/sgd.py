"""Exercise ``sgd``: SGD with momentum, dampening and Nesterov, as ``torch.optim.SGD``."""
from ...optim import SGD
from ..exercise import OptimizerExercise
from ..harness import Case
from ..mistakes import Mistake, altered_group, altered_scalars, replaced

_FIRST_STEP = 6  # index of first_step in sgd_momentum_rule's scalars

CASES = [
    Case("plain gradient descent", [([(3,), (2, 3)], {})], {"lr": 0.05}),
    Case("momentum, two groups, dampening in one", [
        ([(4,), (2, 2)], {}), ([(3, 2)], {"dampening": 0.5, "weight_decay": 0.1})],
        {"lr": 0.02, "momentum": 0.9}, seed=1),
    Case("Nesterov with weight decay", [([(5,), (2, 3)], {})],
         {"lr": 0.02, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05}, seed=2),
    Case("float32, dampening", [([(4, 4), (6,)], {"dampening": 0.3})],
         {"lr": 0.01, "momentum": 0.9}, dtype="float32", seed=3),
]

MISTAKES = {
    "momentum without dampening": Mistake(
        altered_group(SGD, lambda group: {"dampening": 0}),
        "the buffer is b <- mu*b + g, but with dampening tau it is b <- mu*b + (1 - tau)*g"),
    "first step not equal to g": Mistake(
        altered_scalars(SGD, lambda s, group, state:
                        replaced(s, _FIRST_STEP, False) if len(s) > _FIRST_STEP else s),
        "on the first step the buffer must be exactly g (PyTorch does not dampen it); "
        "yours starts from zero, giving (1 - tau)*g"),
    "Nesterov look-ahead missing": Mistake(
        altered_group(SGD, lambda group: {"nesterov": False}),
        "with nesterov=True the step is g + mu*b (the look-ahead), not b"),
    "weight decay ignored": Mistake(
        altered_group(SGD, lambda group: {"weight_decay": 0}),
        "weight_decay adds lambda*theta to the gradient before the momentum buffer"),
}

EXERCISES = [OptimizerExercise(
    name="sgd", title="SGD with momentum, dampening and Nesterov", class_name="SGD",
    goal="how the momentum buffer accumulates gradients, what dampening and Nesterov change, "
         "and PyTorch's first-step convention",
    reference=SGD, cases=CASES, mistakes=MISTAKES)]
