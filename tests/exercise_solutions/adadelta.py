import tinyopt
from tinyopt.optim import Optimizer


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            rho, eps = group["rho"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["Eg2"] = tinyopt.zeros_like(p)
                    state["Edx2"] = tinyopt.zeros_like(p)
                g = p.grad.add(p, alpha=group["weight_decay"])
                state["Eg2"].mul_(rho).addcmul_(g, g, value=1 - rho)
                delta = (state["Edx2"] + eps).sqrt() / (state["Eg2"] + eps).sqrt() * g
                state["Edx2"].mul_(rho).addcmul_(delta, delta, value=1 - rho)
                p.add_(delta, alpha=-group["lr"])
