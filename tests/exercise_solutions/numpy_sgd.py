import numpy as np

from tinyopt.optim import Optimizer


class SGD(Optimizer):
    """SGD in NumPy style: ``p.data.array -= ...`` on raw arrays."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def step(self, closure=None):
        for group in self.param_groups:
            mu = group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.array + group["weight_decay"] * p.data.array
                if mu:
                    state = self.state[p]
                    if "velocity" in state:
                        state["velocity"] = mu * state["velocity"] + (1 - group["dampening"]) * g
                    else:
                        state["velocity"] = np.array(g)
                    g = g + mu * state["velocity"] if group["nesterov"] else state["velocity"]
                p.data.array[...] -= group["lr"] * g
