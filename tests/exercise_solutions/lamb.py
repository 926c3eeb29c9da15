import tinyopt
from tinyopt.optim import Optimizer


class LAMB(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @tinyopt.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state.update(t=0, m=tinyopt.zeros_like(p), v=tinyopt.zeros_like(p))
                state["t"] += 1
                t, g = state["t"], p.grad
                state["m"].lerp_(g, 1 - beta1)
                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                m_hat = state["m"] / (1 - beta1 ** t)
                v_hat = state["v"] / (1 - beta2 ** t)
                u = m_hat / (v_hat.sqrt() + group["eps"]) + p * group["weight_decay"]
                w_norm, u_norm = float(tinyopt.norm(p)), float(tinyopt.norm(u))
                rho = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
                p.add_(u, alpha=-group["lr"] * rho)
