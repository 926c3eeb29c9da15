"""Exercise ``lion``: the sign of an interpolated momentum (Chen et al. 2023)."""
from ...optim import Lion
from ..exercise import OptimizerExercise
from ..harness import Case
from ..mistakes import Mistake, altered_group, altered_rule


def _coupled_decay(rule):
    def lion_coupled(p, g, m, lr, beta1, beta2, weight_decay, maximize):
        return rule(p, g + weight_decay * p, m, lr, beta1, beta2, 0.0, maximize)
    return lion_coupled


def _momentum_first(rule):
    """Lion that updates m first and steps by sign(β₁ m_new + (1 - β₁) g)."""
    def lion_momentum_first(p, g, m, lr, beta1, beta2, weight_decay, maximize):
        _, m_new = rule(p, g, m, lr, beta1, beta2, weight_decay, maximize)
        p, _ = rule(p, g, m_new, lr, beta1, beta2, weight_decay, maximize)
        return p, m_new
    return lion_momentum_first


EXERCISES = [OptimizerExercise(
    name="lion", title="Lion", class_name="Lion",
    goal="a sign update of fixed size per coordinate, two betas with two roles, decoupled decay",
    reference=Lion, cases=[
        Case("lr only", [([(3,), (2, 3)], {})], {"lr": 0.01}),
        Case("betas, weight decay, two groups", [
            ([(4,)], {}), ([(2, 3)], {"weight_decay": 0.5})],
            {"lr": 0.01, "betas": (0.8, 0.95)}, seed=1),
        Case("float32", [([(4, 4), (5,)], {})], {"lr": 1e-3, "weight_decay": 0.1},
             dtype="float32", seed=2),
    ],
    mistakes={
        "betas swapped": Mistake(
            altered_group(Lion, lambda group: {"betas": group["betas"][::-1]}),
            "beta1 mixes g into the sign, c = beta1*m + (1 - beta1)*g; beta2 is the momentum's "
            "decay, m <- beta2*m + (1 - beta2)*g"),
        "momentum updated before the sign": Mistake(
            altered_rule(Lion, _momentum_first),
            "take the sign of c = beta1*m + (1 - beta1)*g with the OLD m, then update m"),
        "weight decay coupled": Mistake(
            altered_rule(Lion, _coupled_decay),
            "Lion's decay is decoupled: theta <- theta*(1 - lr*lambda), not g + lambda*theta"),
    })]
