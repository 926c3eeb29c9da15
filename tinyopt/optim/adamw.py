r"""AdamW: Adam with decoupled weight decay.

Loshchilov & Hutter (2019). The update is Adam's (see ``adam.py``, same
rule) except for the decay, which shrinks the weights directly instead of
entering the gradient::

    θ ← θ (1 - γ λ)                 before the Adam step, λ = weight_decay
    ... Adam on the raw gradient g ...

With L2 (Adam's ``weight_decay``) the penalty gradient λθ is divided by √v̂,
so coordinates with large gradients are barely regularised; decoupling makes
every weight decay at the same rate γλ.

Lecture vs PyTorch: the paper scales the decay by the schedule multiplier
η_t only (``θ ← θ - η_t λ θ``); PyTorch multiplies by the full learning rate
γ, so its λ must be 1/γ times larger for the same decay (PyTorch's default
λ is 1e-2).
"""
from .adam import Adam


class AdamW(Adam):
    """AdamW (``torch.optim.AdamW``): Adam whose weight decay is decoupled from the gradient.

    Args:
        params: Parameters or param-group dicts.
        lr: learning rate γ (default 1e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε >= 0, added to √v̂ (default 1e-8).
        weight_decay: λ >= 0, each step shrinks θ by the factor 1 - γλ (default XX
        amsgrad: divide by the running maximum of v (AMSGrad).
        maximize: ascend the objective instead of descending.
        bias_correction: divide m and v by 1 - βᵗ (not in PyTorch).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, bias_correction=True):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True, bias_correction=bias_correction)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        if group["decoupled_weight_decay"] is not True:
            raise ValueError("AdamW always has decoupled_weight_decay=True; for L2 weight "
                             "decay use Adam (this may be a state dict saved from Adam)")
