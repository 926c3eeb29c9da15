import numpy as np

from tinyopt.optim import Optimizer


class Adam(Optimizer):
    """Adam in NumPy style: raw arrays (``.array``), state as numpy arrays."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                theta, g = p.data.array, p.grad.array
                state = self.state[p]
                if not state:
                    state.update(step=0, first=np.zeros_like(theta), second=np.zeros_like(theta))
                state["step"] += 1
                t = state["step"]
                g = g + group["weight_decay"] * theta
                state["first"] = beta1 * state["first"] + (1 - beta1) * g
                state["second"] = beta2 * state["second"] + (1 - beta2) * g * g
                m_hat = state["first"] / (1 - beta1 ** t)
                v_hat = state["second"] / (1 - beta2 ** t)
                theta -= group["lr"] * m_hat / (np.sqrt(v_hat) + group["eps"])
