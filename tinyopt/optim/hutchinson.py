r"""Hutchinson's estimate of the Hessian diagonal, for SophiaH and AdaHessian.

For a random z with E[z zᵀ] = I (Rademacher ±1 or Gaussian)::

    E[z ⊙ (H z)] = diag(H)

and H z costs one more backward pass: differentiate ⟨∇L, z⟩, the gradient
computed with ``tinyopt.autograd.grad(loss, params, create_graph=True)``.
``HutchinsonOptimizer`` is the step both optimizers share: every
``update_period`` steps (or whenever ``step(hessian=...)`` brings one) it
stores a fresh estimate, averaged over ``num_samples`` probes, in
``state["hessian"]``, then runs the subclass's rule; the group's ``step``
counts the steps. ``hessian_backward(loss)`` is the differentiation alone
(gradients into ``p.grad``, the estimate returned): ``tinyopt.train.fit``
calls it, clips, then ``step(hessian=...)``.
"""
from .. import backend
from ..autograd import Tensor, enable_grad, grad
from .optimizer import Optimizer

HESSIAN_DISTRIBUTIONS = ("gaussian", "rademacher")


def hutchinson_diagonal(grads, params, num_samples=1, distribution="gaussian"):
    """Σ z ⊙ (H z) / num_samples, ``grads`` the graph-carrying gradients of ``params``."""
    xp, generator = backend.xp, backend.rng()
    estimates = [xp.zeros_like(p.array) for p in params]
    for sample in range(num_samples):
        if distribution == "rademacher":
            zs = [generator.integers(0, 2, p.shape) * 2.0 - 1.0 for p in params]
        else:
            zs = [generator.standard_normal(p.shape) for p in params]
        zs = [Tensor(xp.asarray(z, dtype=p.array.dtype)) for z, p in zip(zs, params)]
        hzs = grad(grads, params, grad_outputs=zs, retain_graph=sample < num_samples - 1)
        for estimate, hz, z in zip(estimates, hzs, zs):
            estimate += hz.array * z.array / num_samples
    return estimates


class HutchinsonOptimizer(Optimizer):
    """An optimizer whose rule reads ``state["hessian"]``, refreshed every update_period steps."""

    _counters_decide_updates = False

    def _set_estimator(self, update_period, num_samples, hessian_distribution):
        for name, value in (("update_period", update_period), ("num_samples", num_samples)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if hessian_distribution not in HESSIAN_DISTRIBUTIONS:
            raise ValueError(f"hessian_distribution must be one of {HESSIAN_DISTRIBUTIONS}, "
                             f"got {hessian_distribution!r}")
        self.update_period, self.num_samples = update_period, num_samples
        self.hessian_distribution = hessian_distribution
        self._new_estimate = False

    def _shape_estimate(self, estimate):
        """The stored form of a parameter's estimate (AdaHessian averages conv kernels)."""
        return estimate

    def estimate_due(self):
        """Whether the next step takes a new Hessian estimate (every update_period steps)."""
        return self.param_groups[0]["step"] % self.update_period == 0

    def hessian_backward(self, loss, estimate=True):
        """Set every ``p.grad`` to d``loss``/dp; return the Hessian estimate, or None.

        When an estimate is due (and ``estimate``), the gradient is taken with
        ``create_graph=True`` and differentiated again for Hutchinson's z ⊙ (H z);
        the result goes to ``step(hessian=...)``. ``fit`` calls this with the step's loss.
        """
        params = [p for group in self.param_groups for p in group["params"]]
        due = estimate and self.estimate_due()
        with enable_grad():
            grads = grad(loss, params, create_graph=due, allow_unused=True)
        for param, g in zip(params, grads):
            param.grad = None if g is None else g.array.copy()
        if not due:
            return None
        pairs = [(p, g) for p, g in zip(params, grads) if g is not None]
        return hutchinson_diagonal([g for _, g in pairs], [p for p, _ in pairs],
                                   self.num_samples, self.hessian_distribution)

    def step(self, closure=None, hessian=None):
        """One step, with a new Hessian estimate when ``hessian`` is given or one is due.

        ``closure`` returns the loss (it need not call backward): the step
        differentiates it (``hessian_backward``) and sets every ``p.grad``.
        Without a closure the gradients must be set (``backward()``) and, on
        steps that need one, ``hessian`` given: one array per parameter with a
        gradient, in group order.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
            estimate = self.hessian_backward(loss, estimate=hessian is None)
            hessian = estimate if hessian is None else hessian
        due = hessian is not None or self.estimate_due()
        if due and hessian is None:
            raise RuntimeError(f"{type(self).__name__} needs a Hessian estimate on this step: "
                               "pass step(closure) returning the loss, or step(hessian=[...])")
        if hessian is not None:
            self._store(hessian)
        self._new_estimate = due
        super().step()
        return loss

    def _store(self, hessian):
        with_grad = [(p, group) for group in self.param_groups for p in group["params"]
                     if p.grad is not None]
        if len(hessian) != len(with_grad):
            raise ValueError(f"hessian has {len(hessian)} entries for {len(with_grad)} "
                             "parameters with gradients")
        for (param, group), estimate in zip(with_grad, hessian):
            estimate = estimate.array if isinstance(estimate, Tensor) else estimate
            if tuple(estimate.shape) != tuple(param.shape):
                raise ValueError(f"a hessian entry has shape {tuple(estimate.shape)}, its "
                                 f"parameter {tuple(param.shape)}")
            state = self.state[param]
            if not state:
                state.update(self._init_state(param, group))
            state["hessian"][...] = self._shape_estimate(estimate)

    def _update_parameters(self):
        for group in self.param_groups:
            group["step"] += 1
        super()._update_parameters()
