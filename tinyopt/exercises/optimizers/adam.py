"""Exercises ``adam``, ``adam_v0`` and ``adamw``: Adam with and without bias correction, and
with decoupled weight decay."""
from ...optim import Adam, AdamW
from ..exercise import OptimizerExercise
from ..harness import Case
from ..mistakes import Mistake, altered_group, altered_rule, altered_scalars, replaced, sqrt, \
    with_defaults

_LR, _EPS, _WD, _BC1, _BC2 = 0, 3, 4, 5, 6  # positions in adam_rule's scalars


def _eps_inside_root(rule):
    """Adam with θ ← θ - γ m̂ / √(v̂ + ε): ε under the square root."""
    def adam_eps_inside(p, g, m, v, v_max, lr, beta1, beta2, eps, weight_decay, bc1, bc2,
                        amsgrad, decoupled, maximize):
        p, m, v, v_max = rule(p, g, m, v, v_max, 0.0, beta1, beta2, eps, weight_decay, bc1,
                              bc2, amsgrad, decoupled, maximize)  # lr=0: only the moments
        p = p * (1 - lr * weight_decay) if decoupled else p
        return p - lr * (m / bc1) / sqrt(v / bc2 + eps), m, v, v_max
    return adam_eps_inside


def _decay_after_update(rule):
    """AdamW whose decay shrinks the already updated weights: θ ← (θ - γ u)(1 - γλ)."""
    def adamw_decay_after(p, g, m, v, v_max, lr, beta1, beta2, eps, weight_decay, bc1, bc2,
                          amsgrad, decoupled, maximize):
        p, m, v, v_max = rule(p, g, m, v, v_max, lr, beta1, beta2, eps, 0.0, bc1, bc2,
                              amsgrad, decoupled, maximize)
        return p * (1 - lr * weight_decay), m, v, v_max
    return adamw_decay_after


def _bias_step(shift):
    """Bias corrections computed with t + shift instead of t."""
    def change(scalars, group, state):
        beta1, beta2 = group["betas"]
        t = state["step"] + shift
        return replaced(replaced(scalars, _BC1, 1 - beta1 ** t), _BC2, 1 - beta2 ** t)
    return change


def _cases(weight_decay):
    """Adam's cases; ``weight_decay`` is the λ of the groups that decay."""
    return [
        Case("defaults but lr", [([(3,), (2, 3)], {})], {"lr": 0.01}),
        Case("large eps (where eps sits matters)", [([(4,), (3, 2)], {})],
             {"lr": 0.01, "eps": 0.1}, seed=1),
        Case("two groups, weight decay in one", [
            ([(2, 2), (5,)], {}), ([(3, 3)], {"weight_decay": weight_decay, "lr": 0.02})],
             {"lr": 0.01, "betas": (0.8, 0.95)}, seed=2),
        Case("float32", [([(4, 4), (7,)], {})], {"lr": 1e-3}, dtype="float32", seed=3),
    ]


def _adam_mistakes(reference, decoupled):
    mistakes = {
        "eps inside the square root": Mistake(
            altered_rule(reference, _eps_inside_root),
            "you divide by sqrt(v_hat + eps); Adam (and PyTorch) divide by sqrt(v_hat) + eps"),
        "bias correction missing": Mistake(
            altered_group(reference, lambda group: {"bias_correction": False}),
            "m and v must be divided by 1 - beta1**t and 1 - beta2**t (t = 1 on the first step)"),
        "bias correction with t off by one": Mistake(
            altered_scalars(reference, _bias_step(+1)),
            "your bias correction uses t + 1: increment the step count before using it, "
            "so that the first step has t = 1"),
    }
    coupled = ("weight decay coupled instead of decoupled", Mistake(
        altered_group(reference, lambda group: {"decoupled_weight_decay": False}),
        "you add lambda*theta to the gradient (L2, Adam's weight_decay); AdamW shrinks the "
        "weights directly, theta <- theta*(1 - lr*lambda), before the Adam step"))
    if decoupled:
        mistakes.update([coupled])
        mistakes["weight decay applied after the update"] = Mistake(
            altered_rule(reference, _decay_after_update),
            "the decay theta*(1 - lr*lambda) must act on the weights before the Adam step, "
            "not on the updated weights")
        mistakes["weight decay missing"] = Mistake(
            altered_group(reference, lambda group: {"weight_decay": 0}),
            "AdamW shrinks the weights by theta <- theta*(1 - lr*lambda) every step")
    else:
        mistakes["weight decay decoupled instead of L2"] = Mistake(
            altered_group(reference, lambda group: {"decoupled_weight_decay": True}),
            "Adam's weight_decay is L2: add lambda*theta to the gradient before the moments "
            "(decoupled decay is AdamW)")
    return mistakes


ADAM_V0 = with_defaults(Adam, bias_correction=False)
_V0_MISTAKES = {
    "bias correction added": Mistake(
        Adam, "Adam v0 has no bias correction: step by m / (sqrt(v) + eps) directly"),
    "eps inside the square root": Mistake(
        with_defaults(altered_rule(Adam, _eps_inside_root), bias_correction=False),
        "you divide by sqrt(v + eps); divide by sqrt(v) + eps"),
    "beta1 and beta2 swapped": Mistake(
        with_defaults(altered_group(Adam, lambda g: {"betas": g["betas"][::-1]}),
                      bias_correction=False),
        "m is the beta1-average of g and v the beta2-average of g*g"),
}

EXERCISES = [
    OptimizerExercise(
        name="adam", title="Adam with bias correction", class_name="Adam",
        goal="moment estimates, why they are biased towards zero early and how bias "
             "correction fixes it, and where eps sits",
        reference=Adam, cases=_cases(0.1), mistakes=_adam_mistakes(Adam, decoupled=False)),
    OptimizerExercise(
        name="adam_v0", title="Adam v0: Adam without bias correction", class_name="AdamV0",
        goal="what the first steps look like without bias correction (compare with adam)",
        reference=ADAM_V0, cases=_cases(0.1), mistakes=_V0_MISTAKES),
    OptimizerExercise(
        name="adamw", title="AdamW: decoupled weight decay", class_name="AdamW",
        goal="the difference between L2 regularisation and decoupled weight decay",
        reference=AdamW, cases=_cases(0.2), mistakes=_adam_mistakes(AdamW, decoupled=True)),
]
