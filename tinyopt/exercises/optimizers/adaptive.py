"""Exercises ``adagrad``, ``rmsprop`` and ``adadelta``: per-coordinate step sizes from squared
gradients."""
from ...optim import Adadelta, Adagrad, Optimizer, RMSprop
from ...optim.hyperparameters import check_flag
from ..exercise import OptimizerExercise
from ..harness import Case
from ..mistakes import Mistake, altered_group, altered_rule, altered_scalars, replaced, sqrt


def _adagrad_eps_inside(rule):
    def adagrad_eps_inside(p, g, G, lr_t, eps, weight_decay, maximize):
        _, G = rule(p, g, G, 0.0, eps, weight_decay, maximize)
        g = g + weight_decay * p
        return p - lr_t * g / sqrt(G + eps), G
    return adagrad_eps_inside


def _lr_decay_step(scalars, group, state):
    """γ_t with t instead of t - 1: the first step already decayed."""
    return replaced(scalars, 0, group["lr"] / (1 + state["step"] * group["lr_decay"]))


class _AdagradFromZero(Adagrad):
    """Adagrad whose accumulator starts at 0 whatever initial_accumulator_value says."""

    def _init_state(self, param, group):
        return super()._init_state(param, {**group, "initial_accumulator_value": 0})


def _rmsprop_eps_inside(rule):
    def rmsprop_eps_inside(p, g, v, b, g_avg, lr, alpha, eps, weight_decay, momentum,
                           centered, maximize):
        _, v, _, g_avg = rule(p, g, v, b, g_avg, 0.0, alpha, eps, weight_decay, momentum,
                              centered, maximize)
        g = g + weight_decay * p
        s = sqrt((v - g_avg * g_avg if centered else v) + eps)
        b = momentum * b + g / s
        return p - lr * b, v, b, g_avg
    return rmsprop_eps_inside


def with_nesterov(base):
    r"""``base`` (RMSprop, or RMSprop with a mistake injected) with the bonus option
    ``nesterov``: Nesterov momentum on the RMS-scaled gradient, the look-ahead of
    ``torch.optim.SGD(nesterov=True)`` applied to g / s::

        b ← μ b + g / s;   θ ← θ - γ (g / s + μ b)

    PyTorch's RMSprop has no such option; this is optax's ``rmsprop(momentum=μ,
    nesterov=True, eps_in_sqrt=False)`` (lr outside the buffer, the same iterates at a
    constant rate), tested against torch's RMSprop step fed into torch's Nesterov SGD.
    The step comes from ``base``'s own rule: with g / s = b_new - μ b,
    θ ← θ - γ ((1 + μ) b_new - μ b). Like the injected mistakes, the composed rule runs
    on the NumPy executor, as the grader runs every optimizer."""
    class WithNesterov(base):
        def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                     centered=False, nesterov=False, *, maximize=False):
            Optimizer.__init__(self, params, dict(
                lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                centered=centered, nesterov=nesterov, maximize=maximize))

        def _check_hyperparameters(self, group):
            super()._check_hyperparameters(group)
            check_flag("nesterov", group["nesterov"])
            if group["nesterov"] and group["momentum"] <= 0:
                raise ValueError(f"nesterov=True requires momentum > 0, got "
                                 f"momentum={group['momentum']}")

        def _prepare_update(self, param, group, state):
            rule, arrays, scalars = super()._prepare_update(param, group, state)
            return (_nesterov(rule) if group["nesterov"] else rule), arrays, scalars
    WithNesterov.__name__ = WithNesterov.__qualname__ = "RMSprop"
    return WithNesterov


def _nesterov(rule):
    def rmsprop_nesterov(p, g, v, b, g_avg, lr, alpha, eps, weight_decay, momentum, centered,
                         maximize):
        _, v, b_new, g_avg = rule(p, g, v, b, g_avg, 0.0, alpha, eps, weight_decay, momentum,
                                  centered, maximize)
        return p - lr * ((1 + momentum) * b_new - momentum * b), v, b_new, g_avg
    return rmsprop_nesterov


RMSpropWithNesterov = with_nesterov(RMSprop)


def _adadelta_new_delta_acc(rule):
    """Adadelta scaling with √(u + ε) after u already took this step's Δ (wrong order)."""
    def adadelta_wrong_order(p, g, v, u, lr, rho, eps, weight_decay, maximize):
        _, v_new, u_new = rule(p, g, v, u, lr, rho, eps, weight_decay, maximize)
        g = g + weight_decay * p
        delta = sqrt(u_new + eps) / sqrt(v_new + eps) * g
        return p - lr * delta, v_new, u_new
    return adadelta_wrong_order


EXERCISES = [
    OptimizerExercise(
        name="adagrad", title="Adagrad", class_name="Adagrad",
        goal="a step size per coordinate that only shrinks, and learning-rate decay",
        reference=Adagrad, cases=[
            Case("lr only", [([(3,), (2, 3)], {})], {"lr": 0.1}),
            Case("large eps, lr decay, two groups", [
                ([(4,)], {}), ([(2, 2)], {"lr_decay": 0.1, "weight_decay": 0.1})],
                {"lr": 0.1, "eps": 0.1}, seed=1),
            Case("initial accumulator, float32", [([(4, 4), (5,)], {})],
                 {"lr": 0.05, "initial_accumulator_value": 0.5}, dtype="float32", seed=2),
        ],
        mistakes={
            "eps inside the square root": Mistake(
                altered_rule(Adagrad, _adagrad_eps_inside),
                "you divide by sqrt(G + eps); PyTorch divides by sqrt(G) + eps"),
            "lr decay with t instead of t - 1": Mistake(
                altered_scalars(Adagrad, _lr_decay_step),
                "the decayed rate is lr / (1 + (t - 1)*lr_decay): the first step uses lr"),
            "initial accumulator ignored": Mistake(
                _AdagradFromZero,
                "the accumulator G starts at initial_accumulator_value, not 0"),
        }),
    OptimizerExercise(
        name="rmsprop", title="RMSprop (centered, momentum and Nesterov as the bonus)",
        class_name="RMSprop",
        goal="dividing by a running RMS of gradients; the centered variant divides by a "
             "running standard deviation",
        reference=RMSpropWithNesterov, cases=[
            Case("alpha and lr", [([(3,), (2, 3)], {})], {"lr": 0.01, "alpha": 0.9}),
            Case("large eps, weight decay", [([(4,), (3, 2)], {})],
                 {"lr": 0.01, "eps": 0.1, "weight_decay": 0.1}, seed=1),
            Case("momentum, two groups, one centered", [
                ([(2, 2)], {}), ([(5,)], {"centered": True})],
                {"lr": 0.01, "momentum": 0.9}, seed=2),
            Case("centered, float32", [([(4, 4), (6,)], {})],
                 {"lr": 1e-3, "centered": True}, dtype="float32", seed=3),
            Case("Nesterov (the bonus), two groups, one centered", [
                ([(3, 2)], {}), ([(4,)], {"centered": True})],
                {"lr": 0.01, "momentum": 0.9, "nesterov": True}, seed=4),
        ],
        mistakes={
            "eps inside the square root": Mistake(
                with_nesterov(altered_rule(RMSprop, _rmsprop_eps_inside)),
                "you divide by sqrt(v + eps); PyTorch divides by sqrt(v) + eps"),
            "alpha and 1 - alpha swapped": Mistake(
                with_nesterov(altered_group(RMSprop, lambda group: {"alpha": 1 - group["alpha"]})),
                "v <- alpha*v + (1 - alpha)*g*g: alpha weighs the old average"),
            "centered ignored": Mistake(
                with_nesterov(altered_group(RMSprop, lambda group: {"centered": False})),
                "centered=True divides by sqrt(v - g_avg**2) + eps, g_avg the running mean of g"),
            "Nesterov look-ahead missing": Mistake(
                altered_group(RMSpropWithNesterov, lambda group: {"nesterov": False}),
                "with nesterov=True the step is lr * (g/s + momentum * b), b already updated: "
                "the look-ahead adds momentum * b to the scaled gradient"),
        }),
    OptimizerExercise(
        name="adadelta", title="Adadelta", class_name="Adadelta",
        goal="a unit-correct step: the RMS of past updates over the RMS of gradients",
        reference=Adadelta, cases=[
            Case("defaults", [([(3,), (2, 3)], {})], {}),
            Case("rho, lr, two groups", [([(4,)], {}), ([(2, 2)], {"weight_decay": 0.1})],
                 {"lr": 0.5, "rho": 0.8, "eps": 1e-3}, seed=1),
            Case("float32", [([(4, 4), (5,)], {})], {"eps": 1e-4}, dtype="float32", seed=2),
        ],
        mistakes={
            "update accumulator used after its update": Mistake(
                altered_rule(Adadelta, _adadelta_new_delta_acc),
                "the step uses sqrt(u + eps) with u from the previous step; update u with "
                "this step's delta afterwards"),
            "rho and 1 - rho swapped": Mistake(
                altered_group(Adadelta, lambda group: {"rho": 1 - group["rho"]}),
                "v <- rho*v + (1 - rho)*g*g: rho weighs the old average"),
            "lr ignored": Mistake(
                altered_group(Adadelta, lambda group: {"lr": 1.0}),
                "the step is theta <- theta - lr*delta (lr = 1 in the paper, but not always)"),
        }),
]
