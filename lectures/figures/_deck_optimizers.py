r"""The two optimizers of deck 002 that no library has, written the tinyopt way: an elementwise
rule beside a class saying which state and scalars it gets (``tinyopt.optim.Optimizer``).

The deck's RProp (Hinton's lecture 6.4 told with a norm; ``optim.Rprop`` is the original
sign-based RProp)::

    m ← J / ‖J‖ + μ m          every layer's step has the same size, whatever its gradient
    θ ← θ - ε m

Adam v0 (Adam before its bias correction; the deck's RMSProp is ``optim.RMSprop`` with
``momentum``)::

    v ← β₂ v + (1 - β₂) J²
    m ← J + μ m
    θ ← θ - ε m / (√v + eps)   v starts at 0: the first steps are 1/√(1 - β₂) times too large
"""
from tinyopt.optim import Optimizer


def deck_rprop_rule(p, g, m, lr, momentum, inverse_norm):
    """m ← g / ‖g‖ + μ m; θ ← θ - ε m."""
    m = g * inverse_norm + momentum * m
    return p - lr * m, m


def adam_v0_rule(p, g, m, v, lr, momentum, beta2, eps):
    """v ← β₂ v + (1 - β₂) g²; m ← g + μ m; θ ← θ - ε m / (√v + eps)."""
    v = beta2 * v + (1 - beta2) * g * g
    m = g + momentum * m
    return p - lr * m / (v ** 0.5 + eps), m, v


class DeckRProp(Optimizer):
    """The deck's RProp: momentum on the gradient divided by its norm, per parameter tensor."""

    _counters_decide_updates = False  # the scalar 1/‖g‖ comes from each gradient

    def __init__(self, params, lr=1e-2, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def _check_hyperparameters(self, group):
        if not group["lr"] > 0 or not 0 <= group["momentum"] < 1:
            raise ValueError(f"lr must be > 0 and momentum in [0, 1), got {group['lr']!r}, "
                             f"{group['momentum']!r}")

    def _init_state(self, param, group):
        return {"step": 0, "momentum_buffer": param.array * 0}

    def _prepare_update(self, param, group, state):
        state["step"] += 1
        norm = float((param.grad.array ** 2).sum()) ** 0.5
        return (deck_rprop_rule, [state["momentum_buffer"]],
                (group["lr"], group["momentum"], 1.0 / norm if norm > 0 else 0.0))


class AdamV0(Optimizer):
    """Adam v0: RMSprop's v with momentum on the raw gradient, no bias correction."""

    def __init__(self, params, lr=1e-3, momentum=0.9, beta2=0.999, eps=1e-8):
        super().__init__(params, dict(lr=lr, momentum=momentum, beta2=beta2, eps=eps))

    def _check_hyperparameters(self, group):
        if not group["lr"] > 0 or not 0 <= group["momentum"] < 1 or not 0 <= group["beta2"] < 1:
            raise ValueError(f"lr must be > 0, momentum and beta2 in [0, 1), got "
                             f"{group['lr']!r}, {group['momentum']!r}, {group['beta2']!r}")

    def _init_state(self, param, group):
        return {"step": 0, "momentum_buffer": param.array * 0, "square_avg": param.array * 0}

    def _prepare_update(self, param, group, state):
        state["step"] += 1
        return (adam_v0_rule, [state["momentum_buffer"], state["square_avg"]],
                (group["lr"], group["momentum"], group["beta2"], group["eps"]))
