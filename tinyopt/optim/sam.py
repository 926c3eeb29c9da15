r"""SAM and ASAM: step from the worst point of a small ball around the weights.

Foret et al. (2021), "Sharpness-Aware Minimization for Efficiently Improving
Generalization", Algorithm 1, and Kwon et al. (2021), "ASAM: Adaptive
Sharpness-Aware Minimization" (ρ rho, T the scaling operator)::

    g ← ∇L(θ)                                  the gradient at θ (computed before step)
    ε ← ρ T² g / (‖T g‖ + eps)                  T = 1 (SAM), T = |θ| (ASAM, adaptive=True)
    θ ← θ + ε                                  first_step: climb to the worst point
    g ← ∇L(θ + ε)                              the closure recomputes the gradient there
    θ ← θ - ε, then the base optimizer's step with g    second_step

‖T g‖ is one norm over every parameter of every group; ρ and ``adaptive``
may differ per group. The wrapper follows davda54/sam (the reference the
lectures' from-scratch class copies): ``SAM(params, base_optimizer, rho=0.05,
adaptive=False, **base_kwargs)``, the base built on SAM's own param groups
(shared, so a scheduler may attach to either), ``eps`` 1e-12 added to the norm.
pytorch-optimizer's ``SAM`` is the same (its ``perturb_eps``).

Differences from the references: both accept ρ = 0 (then SAM is the base
optimizer with a wasted forward/backward); here ρ must be > 0. The weights
before the climb are kept outside ``state`` (davda54 leaves them in it as
``old_p``), so ``state_dict()`` is exactly the base optimizer's.

BatchNorm: the closure's forward pass at θ + ε would also update the running
statistics with a batch seen twice (the reference's known pitfall). Wrap the
closure's forward in ``frozen_running_stats(model)``, which restores them.
``needs_closure = True`` tells ``tinyopt.train.fit`` (and ``race``) to pass
such a closure, statistics frozen (``tinyopt.train_steps``).

Lecture intuition: don't trust the slope where you stand; step using the slope
at the worst nearby point, so you settle in wide valleys, not sharp ones.
"""
import contextlib
import math

from .. import backend
from ..autograd import Tensor, enable_grad
from ..kernels.elementwise_math import where
from .hyperparameters import check_flag, check_range
from .optimizer import Optimizer
from .sgd import SGD


def sam_perturb_rule(p, g, old_p, scale, adaptive):
    """old ← θ; θ ← θ + s T² g with s = ρ / (‖T g‖ + eps), T² = θ² for ASAM."""
    old_p = p * 1.0
    p = p + scale * where(adaptive, p * p, 1.0) * g
    return p, old_p


def sam_restore_rule(p, g, old_p):
    """θ ← the weights saved by the climb."""
    return old_p * 1.0, old_p


class SAM(Optimizer):
    """Sharpness-aware minimization around any base optimizer (davda54/sam's interface).

    Args:
        params: Parameters or param-group dicts (groups may set ``rho``, ``adaptive``).
        base_optimizer: the optimizer *class* making the actual step (default ``SGD``).
        rho: ρ > 0, the radius of the ball (default 0.05; ASAM papers use ~0.5-2).
        adaptive: ASAM's scale-invariant ball, T = |θ| (default False).
        eps: added to ‖T g‖ (default 1e-12).
        **kwargs: the base optimizer's arguments (``lr``, ``momentum``, ...).

    Example::

        >>> opt = SAM(model.parameters(), SGD, rho=0.05, lr=0.1, momentum=0.9)
        >>> def closure():
        ...     opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); return loss
        >>> closure(); opt.step(closure)
    """

    needs_closure = True
    """``step`` must be given a closure that re-evaluates the loss (``tinyopt.train_steps``)."""

    def __init__(self, params, base_optimizer=SGD, rho=0.05, adaptive=False, eps=1e-12,
                 **kwargs):
        if not isinstance(base_optimizer, type) or not issubclass(base_optimizer, Optimizer):
            raise TypeError("base_optimizer must be an Optimizer class (e.g. tinyopt.optim.SGD), "
                            f"got {base_optimizer!r}")
        if issubclass(base_optimizer, SAM):
            raise ValueError("SAM cannot wrap SAM: the climb would be taken twice per step")
        check_range("eps", eps, 0)
        self.eps = eps
        self._old = {}
        super().__init__(params, dict(rho=rho, adaptive=adaptive, **kwargs))
        self.base_optimizer = base_optimizer(self.param_groups, **kwargs)
        self.param_groups = self.base_optimizer.param_groups
        self.state = self.base_optimizer.state

    def _check_hyperparameters(self, group):
        check_range("rho", group["rho"], 0, bounds="()")
        check_flag("adaptive", group["adaptive"])

    def add_param_group(self, param_group):
        """Add a group (it may set ``rho``, ``adaptive``) to the shared groups, via the base."""
        if "base_optimizer" not in self.__dict__:       # building: SAM's own groups first
            return super().add_param_group(param_group)
        group = {"rho": self.defaults["rho"], "adaptive": self.defaults["adaptive"],
                 **param_group}
        self._check_hyperparameters(group)
        return self.base_optimizer.add_param_group(group)

    @property
    def executor(self):
        """The base optimizer's executor (SAM's own rules run on it too)."""
        return self.base_optimizer.executor

    @executor.setter
    def executor(self, executor):
        if "base_optimizer" in self.__dict__:
            self.base_optimizer.executor = executor

    def first_step(self, zero_grad=False):
        """θ ← θ + ε: climb to the worst point of the ball (gradients at θ must be set)."""
        scaled_norms = []
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    scaled = param.grad.array * (backend.xp.abs(param.array)
                                                 if group["adaptive"] else 1.0)
                    scaled_norms.append(backend.xp.sum(scaled * scaled))
        if not scaled_norms:
            raise RuntimeError("SAM.first_step needs gradients: call backward() first")
        # one host read for all layers (ε's scale is a scalar of the rule), summed exactly
        norm = math.sqrt(math.fsum(backend.to_host(backend.xp.stack(scaled_norms)).tolist()))
        updates = []
        for group in self.param_groups:
            scale = group["rho"] / (norm + self.eps)
            for param in group["params"]:
                if param.grad is not None:
                    self._old[param] = backend.xp.empty_like(param.array)
                    updates.append(([param.array, param.grad.array, self._old[param]],
                                    (scale, group["adaptive"])))
        self.executor.run(sam_perturb_rule, updates)
        if zero_grad:
            self.zero_grad()

    def second_step(self, zero_grad=False):
        """θ ← θ - ε, then the base optimizer's step with the gradient from θ + ε."""
        if not self._old:
            raise RuntimeError("SAM.second_step called without first_step")
        self.executor.run(sam_restore_rule,
                          [([param.array, old, old], ()) for param, old in self._old.items()])
        self._old = {}
        self.base_optimizer.step()
        if zero_grad:
            self.zero_grad()

    def step(self, closure=None):
        """first_step, ``closure()`` (zero the gradients, forward, backward), second_step."""
        if closure is None:
            raise ValueError("SAM.step needs a closure that recomputes the loss and its "
                             "gradients (call backward() once before step)")
        self.first_step(zero_grad=True)
        with enable_grad():
            loss = closure()
        self.second_step()
        return loss

    def load_state_dict(self, state_dict):
        """Restore the base optimizer's state and the shared param groups (checked first)."""
        for group in state_dict.get("param_groups", []) if isinstance(state_dict, dict) else []:
            self._check_hyperparameters(group)
        self.base_optimizer.load_state_dict(state_dict)
        self.param_groups = self.base_optimizer.param_groups
        self.state = self.base_optimizer.state


@contextlib.contextmanager
def frozen_running_stats(model):
    """Run the block with every BatchNorm's running statistics restored afterwards.

    For SAM's second forward pass (at θ + ε), which must not count the batch twice::

        with frozen_running_stats(model):
            loss_fn(model(x), y).backward()
    """
    saved = [(buffer, buffer.array.copy()) for name, buffer in model.named_buffers()
             if isinstance(buffer, Tensor) and name.rsplit(".", 1)[-1] in
             ("running_mean", "running_var", "num_batches_tracked")]
    try:
        yield model
    finally:
        for buffer, array in saved:
            buffer.array[...] = array
