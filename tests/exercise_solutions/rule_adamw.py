import numpy as np

from tinyopt.optim import Optimizer


def adamw_rule(p, g, m, v, lr, beta1, beta2, eps, weight_decay, bc1, bc2):
    p = p * (1 - lr * weight_decay)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    p = p - lr * (m / bc1) / (np.sqrt(v / bc2) + eps)
    return p, m, v


class AdamW(Optimizer):
    """AdamW as an update rule: ``_init_state`` and ``_prepare_update``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _init_state(self, param, group):
        return {"t": 0, "mom": np.zeros_like(param.array), "sq": np.zeros_like(param.array)}

    def _prepare_update(self, param, group, state):
        state["t"] += 1
        beta1, beta2 = group["betas"]
        scalars = (group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                   1 - beta1 ** state["t"], 1 - beta2 ** state["t"])
        return adamw_rule, [state["mom"], state["sq"]], scalars
