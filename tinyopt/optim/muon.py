r"""Muon: momentum, then replace the update matrix by its nearest orthogonal matrix.

Jordan et al. (2024), "Muon: An optimizer for hidden layers in neural
networks" (KellerJordan/Muon), as ``torch.optim.Muon`` (torch 2.13) runs it
(γ lr, μ momentum, λ weight_decay, G the gradient matrix)::

    B ← μ B + (1 - μ) G                                 momentum, as a lerp
    U ← (1 - μ) G + μ B  if nesterov,  else  U ← B
    X ← U / max(‖U‖_F, eps)        (transposed when rows > cols)
    repeat ns_steps times:         Newton-Schulz 5, (a, b, c) = (3.4445, -4.7750, 2.0315)
        A ← X Xᵀ;  X ← a X + (b A + c A²) X
    θ ← θ (1 - γ λ)                                     decoupled weight decay
    θ ← θ - γ s X,   s = √max(1, rows/cols)  ("original"),
                     s = 0.2 √max(rows, cols)  ("match_rms_adamw", Moonshot's)

The quintic pushes every singular value of U towards ~1 (into about
[0.7, 1.2], not exactly 1), so X ≈ U Vᵀ of U = U S Vᵀ: the step has the same
size in every direction the gradient spans.

Defaults are torch's: lr=1e-3, weight_decay=0.1, momentum=0.95,
nesterov=True, eps=1e-7, ns_steps=5, adjust_lr_fn=None ("original").
Where torch's docstring and code differ: the docstring writes the momentum
as ``B ← μB + G`` and Nesterov as ``G + μB``; the code (and here) uses the
lerps above. Where the references differ from each other and from here:
both run Newton-Schulz in bfloat16; here it runs in the parameter's dtype
(float64 in the tests). KellerJordan divides by ``‖U‖ + 1e-7``, torch by
``max(‖U‖, eps)``. Conv weights (ndim > 2) are flattened to
(out_channels, rest) as KellerJordan does (torch refuses them), with s from
the flattened shape.

Embeddings, the output head and 1-D parameters (biases, norm gains) should not
be orthogonalised: give them a group with ``use_muon=False``, which runs
AdamW (betas, adamw_eps, the group's lr and weight_decay) as KellerJordan's
``MuonWithAuxAdam``; ``muon_param_groups(model)`` splits a model that way.
A Muon group given a 1-D parameter raises.

Lecture intuition: a gradient matrix is dominated by a few directions;
orthogonalising it gives every direction it contains an equal-sized step.
"""
import math

from .. import backend
from ..kernels.elementwise_math import where
from .adam import adam_rule
from .hyperparameters import check_betas, check_flag, check_range
from .optimizer import Optimizer

ADJUST_LR_FNS = (None, "original", "match_rms_adamw")


def muon_momentum_rule(u, g, b, momentum, nesterov):
    """B ← lerp(B, G, 1 - μ); U ← lerp(G, B, μ) (Nesterov) or B. (U is a scratch output.)"""
    b = b + (1 - momentum) * (g - b)
    u = where(nesterov, g + momentum * (b - g), b)
    return u, b


def muon_step_rule(p, o, lr, weight_decay, adjusted_lr):
    """θ ← θ (1 - γλ) - γ s O (O the orthogonalised update, in the gradient's slot)."""
    return p * (1 - lr * weight_decay) - adjusted_lr * o


def newton_schulz(update, ns_coefficients=(3.4445, -4.7750, 2.0315), ns_steps=5, eps=1e-7):
    """The quintic Newton-Schulz iteration of a 2-D array, as torch's (in update's dtype)."""
    xp = backend.xp
    a, b, c = ns_coefficients
    x = xp.ascontiguousarray(update.T if update.shape[0] > update.shape[1] else update)
    x = x / xp.maximum(xp.sqrt(xp.sum(x * x)), eps)  # on the device: no host round trip
    for _ in range(ns_steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x.T if update.shape[0] > update.shape[1] else x


def adjusted_lr(lr, adjust_lr_fn, rows, cols):
    """γ s, with s = √max(1, rows/cols) or 0.2 √max(rows, cols)."""
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr * math.sqrt(max(1, rows / cols))


class Muon(Optimizer):
    """Muon (``torch.optim.Muon``'s arguments), with AdamW groups for the other parameters.

    Args:
        params: Parameters (each with ndim >= 2) or param-group dicts; a group with
            ``use_muon=False`` runs AdamW instead.
        lr: γ >= 0 (default 1e-3; KellerJordan's recipe uses 0.02).
        weight_decay: λ >= 0, decoupled (default 0.1).
        momentum: μ in [0, 1) (default 0.95).
        nesterov: Nesterov momentum (default True).
        ns_coefficients: (a, b, c) of the quintic (default (3.4445, -4.7750, 2.0315)).
        eps: floor of ‖U‖_F (default 1e-7).
        ns_steps: Newton-Schulz iterations, an int >= 1 (default 5).
        adjust_lr_fn: None / "original" or "match_rms_adamw".
        use_muon: False makes a group AdamW (default True).
        betas, adamw_eps: the AdamW groups' (default (0.9, 0.95) and 1e-10, KellerJordan's).
        adamw_lr: given with a plain parameter list, split it by ndim
            (``muon_param_groups``): matrices to Muon, the rest to AdamW at this lr.

    Example::

        >>> opt = Muon(muon_param_groups(model, adamw_lr=3e-4), lr=0.02)
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(3.4445, -4.7750, 2.0315), eps=1e-7, ns_steps=5,
                 adjust_lr_fn=None, *, use_muon=True, betas=(0.9, 0.95), adamw_eps=1e-10,
                 adamw_lr=None):
        if adamw_lr is not None:
            params = list(params)
            if params and isinstance(params[0], dict):
                raise TypeError("adamw_lr splits a plain parameter list; with param groups, "
                                "set use_muon=False and lr in the AdamW group instead")
            params = muon_param_groups(params, adamw_lr)
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn, use_muon=use_muon, betas=betas,
                        adamw_eps=adamw_eps)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_range("lr", group["lr"], 0)
        check_range("weight_decay", group["weight_decay"], 0)
        check_range("momentum", group["momentum"], 0, 1)
        check_flag("nesterov", group["nesterov"])
        check_flag("use_muon", group["use_muon"])
        coefficients = group["ns_coefficients"]
        if not isinstance(coefficients, (tuple, list)) or len(coefficients) != 3:
            raise TypeError(f"ns_coefficients must be three numbers (a, b, c), got "
                            f"{coefficients!r}")
        check_range("eps", group["eps"], 0)
        steps = group["ns_steps"]
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps < 100:
            raise ValueError(f"ns_steps must be an int in [1, 100), got {steps!r}")
        if group["adjust_lr_fn"] not in ADJUST_LR_FNS:
            raise ValueError(f"adjust_lr_fn must be one of {ADJUST_LR_FNS}, got "
                             f"{group['adjust_lr_fn']!r}")
        check_betas(group["betas"])
        check_range("adamw_eps", group["adamw_eps"], 0)
        if group["use_muon"]:
            for param in group.get("params", []):
                if hasattr(param, "ndim") and param.ndim < 2:
                    raise ValueError(
                        f"Muon orthogonalises matrices: a use_muon group got a parameter of "
                        f"shape {tuple(param.shape)}; put biases, gains (and embeddings, the "
                        "head) in a group with use_muon=False (see muon_param_groups)")

    def _init_state(self, param, group):
        if group["use_muon"]:
            return {"momentum_buffer": backend.xp.zeros_like(param.array)}
        return {"step": 0, "exp_avg": backend.xp.zeros_like(param.array),
                "exp_avg_sq": backend.xp.zeros_like(param.array)}

    def _update_parameters(self):
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            for param in params:
                if not self.state[param]:
                    self.state[param].update(self._init_state(param, group))
            if params and group["use_muon"]:
                self._muon_step(group, params)
            elif params:
                self._adamw_step(group, params)

    def _muon_step(self, group, params):
        xp = backend.xp
        momenta = [([xp.empty_like(p.array), p.grad.array, self.state[p]["momentum_buffer"]],
                    (group["momentum"], group["nesterov"])) for p in params]
        self.executor.run(muon_momentum_rule, momenta)                  # elementwise
        steps = []
        for param, ((u, *_), _) in zip(params, momenta):
            matrix = u.reshape(u.shape[0], -1)
            rows, cols = matrix.shape
            o = newton_schulz(matrix, group["ns_coefficients"], group["ns_steps"], group["eps"])
            scale = adjusted_lr(group["lr"], group["adjust_lr_fn"], rows, cols)
            steps.append(([param.array, xp.ascontiguousarray(o.reshape(param.shape))],
                          (group["lr"], group["weight_decay"], scale)))
        self.executor.run(muon_step_rule, steps)                        # elementwise

    def _adamw_step(self, group, params):
        beta1, beta2 = group["betas"]
        updates = []
        for param in params:
            state = self.state[param]
            state["step"] += 1
            scalars = (group["lr"], beta1, beta2, group["adamw_eps"], group["weight_decay"],
                       1 - beta1 ** state["step"], 1 - beta2 ** state["step"], False, True,
                       False)
            updates.append(([param.array, param.grad.array, state["exp_avg"],
                             state["exp_avg_sq"], None], scalars))
        self.executor.run(adam_rule, updates)


def muon_param_groups(model_or_params, adamw_lr=3e-4, adamw_weight_decay=None):
    """Split parameters the way KellerJordan/Muon's README does: Muon for hidden matrices.

    With a model: the weights of ``Embedding`` modules and of the last ``Linear`` (the head)
    and every parameter with ndim < 2 go to an AdamW group (``use_muon=False``, lr
    ``adamw_lr``, weight decay ``adamw_weight_decay`` if given); the rest to Muon. With a
    list of parameters, only ndim decides. Returns the group dicts (empty groups dropped).
    """
    from ..nn import Embedding, Linear, Module
    excluded = set()
    if isinstance(model_or_params, Module):
        modules = list(model_or_params.modules())
        linears = [m for m in modules if isinstance(m, Linear)]
        for module in [m for m in modules if isinstance(m, Embedding)] + linears[-1:]:
            excluded.update(id(p) for p in module.parameters())
        params = list(model_or_params.parameters())
    else:
        params = list(model_or_params)
    muon = [p for p in params if p.ndim >= 2 and id(p) not in excluded]
    adamw = [p for p in params if p.ndim < 2 or id(p) in excluded]
    aux = {"params": adamw, "use_muon": False, "lr": adamw_lr}
    if adamw_weight_decay is not None:
        aux["weight_decay"] = adamw_weight_decay
    return [group for group in ({"params": muon}, aux) if group["params"]]
