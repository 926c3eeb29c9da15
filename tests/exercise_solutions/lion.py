import tinyopt
from tinyopt.optim import Optimizer


class Lion(Optimizer):
    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = group["lr"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "m" not in state:
                    state["m"] = tinyopt.zeros_like(p)
                m, g = state["m"], p.grad
                p.mul_(1 - lr * group["weight_decay"])
                c = m * beta1 + g * (1 - beta1)
                p.add_(c.sign(), alpha=-lr)
                m.lerp_(g, 1 - beta2)
