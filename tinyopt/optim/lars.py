r"""LARS: SGD with momentum and a learning rate per layer, set by the ratio of norms.

You, Gitman & Ginsburg (2017), "Large Batch Training of Convolutional
Networks", Algorithm 1, in the form most PyTorch code runs it (torchvision's
and pytorch-optimizer's LARS; γ lr, μ momentum, τ dampening, λ
weight_decay, η trust_coefficient), for each parameter tensor θ::

    g ← -g                                      if maximize
    ρ ← η ‖θ‖ / (‖g‖ + λ ‖θ‖)                   local ("trust") ratio; 1 if ‖θ‖ = 0
                                                or the denominator is 0
    d ← ρ (g + λ θ)                             weight decay inside the scaled step
    b ← d on the first step, then  b ← μ b + (1 - τ) d
    d ← d + μ b  if nesterov,  else  d ← b
    θ ← θ - γ d

Why: with very large batches the stable learning rate differs by orders of
magnitude between layers (‖g‖/‖θ‖ varies from layer to layer), so one
global γ either diverges on some layers or crawls on others; ρ normalises
each layer's step to a fraction η of its weight norm.

Excluded parameters: as common practice (SimCLR, BYOL, torchvision's
recipes, pytorch-optimizer) 1-D parameters — biases and BatchNorm/LayerNorm
scales and shifts — skip both the ratio and the weight decay (ρ = 1, λ = 0)
and get plain SGD with momentum; ``exclude_1d=False`` adapts them too.

The elementwise part is ``lars_rule`` (any executor runs it); the two norms
are reductions, computed per tensor before the rule, which receives ρ as a
scalar: a 0-d array computed where the weights are (on a GPU, no copy to the
host; see ``kernels.scalar_table``), the "1 if undefined" chosen by
``where``, not by an ``if`` that would have to read the norms.

Lecture vs PyTorch: the paper writes the momentum with γ inside,
``v ← μ v + γ ρ (g + λ θ); θ ← θ - v``: the same iterates while γ is
constant (as for SGD). As ``torch.optim.SGD``, the buffer starts at the first
d; pytorch-optimizer starts it at zero, which differs only with dampening.
"""
from .. import backend
from ..kernels.elementwise_math import where
from .hyperparameters import check_flag, check_lr, check_range
from .layer_norms import LayerNorms, ratio_or_one
from .optimizer import Optimizer


def lars_rule(p, g, b, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step,
              trust_ratio):
    """SGD (Nesterov) momentum on the layer-scaled step ρ (g + λθ); ρ = trust_ratio."""
    g = where(maximize, -g, g)
    d = trust_ratio * (g + weight_decay * p)
    b = where(first_step, d, momentum * b + (1 - dampening) * d)
    d = where(nesterov, d + momentum * b, b)
    p = p - lr * d
    return p, b


def lars_trust_ratio(weight_norm, grad_norm, weight_decay, trust_coefficient):
    """ρ = η ‖θ‖ / (‖g‖ + λ‖θ‖), and 1 where that is undefined (a zero norm or denominator).

    The norms are numbers or 0-d arrays; ρ is a 0-d array of the backend (made from
    arrays: CuPy's ``where`` takes no Python bool)."""
    xp = backend.xp
    weight_norm, grad_norm = xp.asarray(weight_norm), xp.asarray(grad_norm)
    denominator = grad_norm + weight_decay * weight_norm
    defined = (weight_norm > 0) & (denominator > 0)
    return ratio_or_one(trust_coefficient * weight_norm, denominator, defined)


class LARS(LayerNorms, Optimizer):
    """LARS (You et al. 2017): layer-wise adaptive rate scaling on top of SGD with momentum.

    Args:
        params: Parameters or param-group dicts.
        lr: the global learning rate γ >= 0 (default 1e-3).
        momentum: μ >= 0 (default 0.9); 0 gives plain layer-scaled SGD.
        dampening: τ in [0, 1], scales the new step in the buffer.
        weight_decay: λ >= 0, inside the scaled step (and in ρ's denominator).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening = 0).
        trust_coefficient: η > 0, the fraction of ‖θ‖ a step may move
            (default 1e-3, the paper's).
        exclude_1d: give 1-D (and 0-D) parameters plain SGD momentum, no
            weight decay and ρ = 1 (default True, common practice).
        maximize: ascend the objective instead of descending.

    Example::

        >>> opt = LARS(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    """

    _counters_decide_updates = False  # ρ comes from each tensor's norms, not from step counts

    def __init__(self, params, lr=1e-3, momentum=0.9, dampening=0, weight_decay=0,
                 nesterov=False, *, trust_coefficient=1e-3, exclude_1d=True, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, trust_coefficient=trust_coefficient,
                        exclude_1d=exclude_1d, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_range("momentum", group["momentum"], 0)
        check_range("dampening", group["dampening"], 0, 1, "[]")
        check_range("weight_decay", group["weight_decay"], 0)
        check_range("trust_coefficient", group["trust_coefficient"], 0, bounds="()")
        for flag in ("nesterov", "exclude_1d", "maximize"):
            check_flag(flag, group[flag])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _init_state(self, param, group):
        # As SGD: no buffer without momentum; with momentum it is born on the first step.
        return {"momentum_buffer": None} if group["momentum"] != 0 else {}

    def _update_parameters(self):
        """The trust ratios of every group first (the reductions), then the elementwise rule."""
        self._trust_ratios = {}
        for group in self.param_groups:
            params = [param for param in group["params"]
                      if param.grad is not None and not self._excluded(param, group)]
            weight_norms, grad_norms = self._layer_norms(
                params, [param.array for param in params], [param.grad.array for param in params])
            for param, weight_norm, grad_norm in zip(params, weight_norms, grad_norms):
                self._trust_ratios[id(param)] = lars_trust_ratio(
                    weight_norm, grad_norm, group["weight_decay"], group["trust_coefficient"])
        super()._update_parameters()

    def _prepare_update(self, param, group, state):
        weight_decay = 0.0 if self._excluded(param, group) else group["weight_decay"]
        trust_ratio = self._trust_ratios.get(id(param), 1.0)  # excluded: plain SGD momentum
        first_step = True  # without momentum b is just d, every step
        buffers = [None]
        if group["momentum"] != 0:
            first_step = state["momentum_buffer"] is None
            if first_step:
                state["momentum_buffer"] = backend.xp.zeros_like(param.array)
            buffers = [state["momentum_buffer"]]
        scalars = (group["lr"], group["momentum"], group["dampening"], weight_decay,
                   group["nesterov"], group["maximize"], first_step, trust_ratio)
        return lars_rule, buffers, scalars
