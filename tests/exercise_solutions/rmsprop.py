import tinyopt
from tinyopt.optim import Optimizer


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, nesterov=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, nesterov=nesterov))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            alpha = group["alpha"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["v"] = tinyopt.zeros_like(p)
                    if group["centered"]:
                        state["g_mean"] = tinyopt.zeros_like(p)
                    if group["momentum"] > 0:
                        state["buf"] = tinyopt.zeros_like(p)
                g = p.grad.add(p, alpha=group["weight_decay"])
                state["v"].mul_(alpha).addcmul_(g, g, value=1 - alpha)
                if group["centered"]:
                    state["g_mean"].lerp_(g, 1 - alpha)
                    s = (state["v"] - state["g_mean"] * state["g_mean"]).sqrt() + group["eps"]
                else:
                    s = state["v"].sqrt() + group["eps"]
                if group["momentum"] > 0:
                    state["buf"].mul_(group["momentum"]).addcdiv_(g, s)
                    if group["nesterov"]:
                        p.add_(g / s + state["buf"] * group["momentum"], alpha=-group["lr"])
                    else:
                        p.add_(state["buf"], alpha=-group["lr"])
                else:
                    p.addcdiv_(g, s, value=-group["lr"])
