"""Exercises ``lars`` and ``lamb``: a learning rate per layer from the ratio of norms."""
import math

from ...optim import LAMB, LARS
from ...optim.lars import lars_trust_ratio
from ..exercise import OptimizerExercise
from ..harness import Case
from ..mistakes import Mistake, altered_group, altered_rule, altered_scalars, replaced, \
    with_group_options


def _lars_adapting_every_parameter():
    """LARS with the mistake: biases and norm weights get a trust ratio (and decay) too."""
    class Mistaken(LARS):
        def _excluded(self, param, group):
            return False
    return Mistaken


_TRUST = 7  # position of trust_ratio in lars_rule's scalars


class _LarsRatioWithoutDecay(LARS):
    """LARS whose trust ratio leaves λ‖θ‖ out of the denominator: ρ = η ‖θ‖ / ‖g‖."""

    def _prepare_update(self, param, group, state):
        rule, arrays, scalars = super()._prepare_update(param, group, state)
        if group["exclude_1d"] and param.array.ndim <= 1:
            return rule, arrays, scalars
        weight_norm = math.sqrt(float((param.array ** 2).sum()))
        grad_norm = math.sqrt(float((param.grad.array ** 2).sum()))
        ratio = lars_trust_ratio(weight_norm, grad_norm, 0.0, group["trust_coefficient"])
        return rule, arrays, replaced(tuple(scalars), _TRUST, ratio)


def _decay_outside_ratio(rule):
    """LARS with d = ρ g + λ θ: the decay escapes the trust ratio."""
    def lars_decay_outside(p, g, b, lr, momentum, dampening, weight_decay, nesterov, maximize,
                           first_step, trust_ratio):
        return rule(p, g + weight_decay * p / trust_ratio, b, lr, momentum, dampening, 0.0,
                    nesterov, maximize, first_step, trust_ratio)
    return lars_decay_outside


EXERCISES = [
    OptimizerExercise(
        name="lars", title="LARS: layer-wise trust ratio on SGD with momentum", class_name="LARS",
        goal="why large batches need a learning rate per layer, and how the trust ratio "
             "eta*||theta|| / (||g|| + lambda*||theta||) sets it",
        reference=LARS, cases=[
            Case("weight decay, a bias excluded", [([(3, 4), (4,)], {})],
                 {"lr": 1.0, "weight_decay": 0.01}),
            Case("every tensor adapted, two groups, Nesterov in one", [
                ([(2, 3), (5,)], {}), ([(4, 2)], {"nesterov": True})],
                {"lr": 0.5, "trust_coefficient": 0.01, "weight_decay": 0.05,
                 "exclude_1d": False}, seed=1),
            Case("no momentum, float32", [([(4, 4), (3,)], {})],
                 {"lr": 2.0, "momentum": 0, "weight_decay": 0.1}, dtype="float32", seed=2),
        ],
        mistakes={
            "trust ratio missing": Mistake(
                altered_scalars(LARS, lambda s, group, state: replaced(s, _TRUST, 1.0)),
                "each tensor's step is scaled by rho = eta*||theta|| / (||g|| + lambda*||theta||)"),
            "weight decay left out of the trust ratio": Mistake(
                _LarsRatioWithoutDecay,
                "the ratio's denominator is ||g|| + lambda*||theta||, not ||g|| alone"),
            "weight decay outside the scaled step": Mistake(
                altered_rule(LARS, _decay_outside_ratio),
                "the decay is scaled with the gradient: d = rho*(g + lambda*theta), not "
                "rho*g + lambda*theta"),
            "1-D parameters not excluded": Mistake(
                _lars_adapting_every_parameter(),
                "with exclude_1d=True biases (ndim <= 1) get rho = 1 and no weight decay"),
        }),
    OptimizerExercise(
        name="lamb", title="LAMB: Adam's direction with a per-layer trust ratio",
        class_name="LAMB",
        goal="LAMB is to Adam what LARS is to SGD: every layer moves by lr*||theta|| per step",
        reference=LAMB, cases=[
            Case("weight decay", [([(3, 4), (4,)], {})], {"lr": 0.01, "weight_decay": 0.01}),
            Case("large eps, two groups", [([(2, 3)], {}), ([(5,)], {"weight_decay": 0.1})],
                 {"lr": 0.02, "eps": 0.1, "betas": (0.8, 0.95)}, seed=1),
            Case("float32", [([(4, 4), (3,)], {})], {"lr": 1e-3, "weight_decay": 0.01},
                 dtype="float32", seed=2),
        ],
        mistakes={
            "trust ratio missing": Mistake(
                with_group_options(LAMB, layer_adaptation=False),
                "the step is lr*rho*u with rho = ||theta|| / ||u||; without rho LAMB is AdamW"),
            "bias correction missing": Mistake(
                altered_group(LAMB, lambda group: {"bias_correction": False}),
                "divide m by 1 - beta1**t and v by 1 - beta2**t before r = m_hat / "
                "(sqrt(v_hat) + eps)"),
            "weight decay missing": Mistake(
                altered_group(LAMB, lambda group: {"weight_decay": 0}),
                "u = r + lambda*theta: the decay is part of the update the ratio scales"),
            "1-D parameters excluded": Mistake(
                with_group_options(LAMB, exclude_1d=True),
                "this LAMB (the paper's) adapts every tensor, biases included"),
        }),
]
