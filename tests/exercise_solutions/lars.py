import tinyopt
from tinyopt.optim import Optimizer


class LARS(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.9, dampening=0, weight_decay=0,
                 nesterov=False, trust_coefficient=1e-3, exclude_1d=True):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      trust_coefficient=trust_coefficient, exclude_1d=exclude_1d))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            mu, wd = group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                if group["exclude_1d"] and p.ndim <= 1:
                    d = g
                else:
                    w_norm, g_norm = float(tinyopt.norm(p)), float(tinyopt.norm(g))
                    denom = g_norm + wd * w_norm
                    rho = group["trust_coefficient"] * w_norm / denom if w_norm > 0 and denom > 0 \
                        else 1.0
                    d = (g + p * wd) * rho
                if mu != 0:
                    state = self.state[p]
                    if "buf" not in state:
                        state["buf"] = d.clone()
                    else:
                        state["buf"].mul_(mu).add_(d, alpha=1 - group["dampening"])
                    d = d + state["buf"] * mu if group["nesterov"] else state["buf"]
                p.add_(d, alpha=-group["lr"])
