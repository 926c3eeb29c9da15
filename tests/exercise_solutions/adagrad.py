import tinyopt
from tinyopt.optim import Optimizer


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["t"] = 0
                    state["G"] = tinyopt.full_like(p, group["initial_accumulator_value"])
                state["t"] += 1
                lr_t = group["lr"] / (1 + (state["t"] - 1) * group["lr_decay"])
                g = p.grad.add(p, alpha=group["weight_decay"])
                state["G"].addcmul_(g, g)
                p.addcdiv_(g, state["G"].sqrt() + group["eps"], value=-lr_t)
