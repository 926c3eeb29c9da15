"""One optimizer step of ``fit``, for every kind of optimizer the zoo has.

Most optimizers need the five lines (zero_grad, forward, loss, backward,
step). The frontier ones need more, and say so with an attribute that
``fit`` reads (absent means no); the protocol, PyTorch-like:

==========================  ===================================================================
``needs_closure = True``    ``step(closure)`` re-evaluates the loss at weights it chooses:
                            SAM and ASAM climb to θ + ε, then call the closure (zero the
                            gradients, forward, backward, return the loss). ``fit`` computes
                            the gradient at θ first, as usual, and gives a closure that
                            re-runs the step's micro-batches with every BatchNorm's running
                            statistics frozen (the batch is not counted twice), then clips.
``hessian_backward(loss)``  the optimizer differentiates the loss itself, with
                            ``create_graph=True`` when a Hessian-vector product is due, sets
                            every ``p.grad`` and returns the Hessian estimate for
                            ``step(hessian=...)`` (SophiaH, AdaHessian). ``fit`` builds the
                            step's loss (all micro-batches in one graph) and hands it over.
``update_hessian()``        a Gauss-Newton-Bartlett estimate every ``update_period`` steps
                            (SophiaG): after such a step ``fit`` draws labels from the model's
                            own logits on the step's last micro-batch (``sample_labels``),
                            back-propagates ``loss_fn(logits, sampled)`` (statistics frozen)
                            and calls it. Its step gets ``bs=`` the step's samples.
``win_rate``                the fraction of coordinates the last step did not clip (Sophia):
                            logged per step in ``history.steps["win_rate"]``.
``train()``, ``eval()``     schedule-free: see ``fit``.
==========================  ===================================================================

Options that cannot work with an optimizer are refused up front with the
option's name (``incompatible_options``): a ``GradScaler`` cannot drive a
closure (it unscales once, the closure would make new scaled gradients) nor
a Hessian estimate (which would be of the scaled loss), and a low-precision
working copy holds the graph the Hessian-vector product would need.
"""
import math

from . import backend
from .autograd import Tensor
from .nn.utils import clip_grad_norm_, clip_grad_value_, grad_norm, weight_norm
from .optim.sam import frozen_running_stats
from .optim.sophia import sample_labels


def needs_closure(optimizer):
    """Whether ``optimizer.step`` must be given a re-evaluating closure (SAM, ASAM)."""
    return bool(getattr(optimizer, "needs_closure", False))


def differentiates_loss(optimizer):
    """Whether the optimizer takes the loss and differentiates it itself (SophiaH, AdaHessian)."""
    return callable(getattr(optimizer, "hessian_backward", None))


def samples_hessian(optimizer):
    """Whether the optimizer wants ``update_hessian()`` on sampled labels (SophiaG)."""
    return callable(getattr(optimizer, "update_hessian", None))


def schedule_free(optimizer):
    """Whether the optimizer has ``train()`` and ``eval()`` modes (schedule-free SGD, AdamW)."""
    return callable(getattr(optimizer, "train", None)) and \
        callable(getattr(optimizer, "eval", None))


def incompatible_options(optimizer, precision, scaler):
    """Raise ``ValueError`` naming the first option ``optimizer`` cannot train with."""
    name = type(optimizer).__name__
    kinds = (("needs a closure that re-evaluates the loss", needs_closure(optimizer)),
             ("differentiates the loss itself (Hessian-vector products)",
              differentiates_loss(optimizer)))
    for why, applies in kinds:
        if not applies:
            continue
        if scaler is not None:
            raise ValueError(f"scaler: {name} {why}, which a GradScaler cannot drive "
                             "(train it in float32 without a scaler)")
        if precision != "float32":
            raise ValueError(f"precision={precision!r}: {name} {why}, which needs the "
                             "float32 model itself (use precision='float32')")


class Stepper:
    """One optimizer step over a window of micro-batches: forward, backward, clip, step, record."""

    def __init__(self, model, loss_fn, optimizer, history, max_grad_norm, clip_value, norm_type,
                 working_copy, scaler, before_step_hooks=(), step_end_hooks=()):
        self.model, self.loss_fn, self.optimizer, self.history = model, loss_fn, optimizer, history
        self.max_grad_norm, self.clip_value, self.norm_type = max_grad_norm, clip_value, norm_type
        self.working_copy, self.scaler = working_copy, scaler
        self.before_step_hooks, self.step_end_hooks = before_step_hooks, step_end_hooks
        self.params = [p for group in optimizer.param_groups for p in group["params"]]

    def step(self, window, epoch):
        """Return ``(window loss, samples, whether the optimizer stepped)``."""
        samples = sum(len(target) for _, target in window)
        step = len(self.history.steps["loss"])
        self.optimizer.zero_grad()
        step_kwargs = {}
        if differentiates_loss(self.optimizer):
            loss, window_loss = self._window_loss(window, samples, epoch)
            step_kwargs["hessian"] = self.optimizer.hessian_backward(loss)
        else:
            window_loss = self._backward(window, samples, epoch)
        if samples_hessian(self.optimizer):
            step_kwargs["bs"] = samples
        if needs_closure(self.optimizer):
            step_kwargs["closure"] = lambda: self._reevaluate(window, samples, epoch)
        record = {"loss": window_loss, **self._lrs()}
        for hook in self.before_step_hooks:
            hook(step, window_loss, self.model, self.optimizer, self.history)
        stepped = self._clip_and_step(record, step_kwargs)
        if getattr(self.optimizer, "win_rate", None) is not None:
            record["win_rate"] = self.optimizer.win_rate
        self.history.log_step(**record)
        for hook in self.step_end_hooks:
            hook(step, window_loss, self.model, self.optimizer, self.history)
        if stepped and samples_hessian(self.optimizer) and \
                (step + 1) % self.optimizer.update_period == 0:
            self._update_sampled_hessian(window[-1][0])
        return window_loss, samples, stepped

    def _checked(self, loss, inputs, epoch):
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(
                f"loss became {value} at epoch {epoch}, step "
                f"{len(self.history.steps['loss'])}: {_diagnose(inputs, self.model)}")
        return value

    def _backward(self, window, samples, epoch):
        """Forward and backward every micro-batch, weighted by its share; the window's loss."""
        forward = self.model if self.working_copy is None else self.working_copy
        if self.working_copy is not None:
            self.working_copy.copy_weights_from_master()
        window_loss = 0.0
        for inputs, target in window:
            weight = len(target) / samples
            loss = self.loss_fn(forward(inputs), target)
            value = self._checked(loss, inputs, epoch)
            scaled = loss * weight
            (self.scaler.scale(scaled) if self.scaler is not None else scaled).backward()
            if self.working_copy is not None:
                self.working_copy.copy_grads_to_master()
            window_loss += value * weight
        return window_loss

    def _window_loss(self, window, samples, epoch):
        """The window's weighted loss as one graph (for optimizers that differentiate it)."""
        total, window_loss = None, 0.0
        for inputs, target in window:
            weight = len(target) / samples
            loss = self.loss_fn(self.model(inputs), target)
            window_loss += self._checked(loss, inputs, epoch) * weight
            total = loss * weight if total is None else total + loss * weight
        return total, window_loss

    def _reevaluate(self, window, samples, epoch):
        """SAM's closure: the gradient at the perturbed weights, statistics frozen, clipped."""
        self.optimizer.zero_grad()
        with frozen_running_stats(self.model):
            loss = self._backward(window, samples, epoch)
        self._clip()
        return loss

    def _update_sampled_hessian(self, inputs):
        """SophiaG's Gauss-Newton-Bartlett estimate: labels drawn from the model's own logits."""
        self.optimizer.zero_grad()
        with frozen_running_stats(self.model):
            logits = self.model(inputs)
            self.loss_fn(logits, sample_labels(logits)).backward()
        self.optimizer.update_hessian()
        self.optimizer.zero_grad()

    def _lrs(self):
        lrs = {"lr": self.optimizer.param_groups[0]["lr"]}
        lrs.update({f"lr_group{i}": group["lr"]
                    for i, group in enumerate(self.optimizer.param_groups) if i > 0})
        return lrs

    def _clip(self):
        if self.max_grad_norm is not None:
            clip_grad_norm_(self.params, self.max_grad_norm, self.norm_type)
        if self.clip_value is not None:
            clip_grad_value_(self.params, self.clip_value)

    def _clip_and_step(self, record, step_kwargs):
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        record["grad_norm"] = grad_norm(self.params, self.norm_type)
        if self.scaler is None and not math.isfinite(record["grad_norm"]):
            # one step before the weights would turn inf/NaN (a scaler skips such steps itself)
            raise FloatingPointError(
                f"the gradient norm became {record['grad_norm']} at step "
                f"{len(self.history.steps['loss'])}, before the update (the loss was "
                f"{record['loss']:.4g}, the weights are still finite): the learning rate is "
                "probably too high, or clip the gradients (max_grad_norm)")
        self._clip()
        if self.max_grad_norm is not None or self.clip_value is not None:
            record["grad_norm_clipped"] = grad_norm(self.params, self.norm_type)
        if self.scaler is not None:
            record["loss_scale"] = self.scaler.get_scale()
            self.scaler.step(self.optimizer, **step_kwargs)
            stepped = not self.scaler.last_step_skipped
            self.scaler.update()
        else:
            self.optimizer.step(**step_kwargs)
            stepped = True
        record["weight_norm"] = weight_norm(self.params, self.norm_type)
        return stepped


def _diagnose(inputs, model):
    """Why a loss may have become inf/NaN: what was checked, and the likely cause."""
    xp = backend.xp
    if isinstance(inputs, Tensor) and backend.is_float(inputs.dtype) and \
            not bool(xp.isfinite(inputs.array).all()):
        return "checked the inputs: this batch holds inf/NaN (clean the data)"
    for name, param in model.named_parameters():
        if not bool(xp.isfinite(param.array).all()):
            return (f"checked the weights: {name} holds inf/NaN, so an earlier update "
                    "diverged (lower the learning rate or clip the gradients)")
    return ("checked the inputs and the weights, both finite: the forward pass overflowed "
            "(the learning rate is probably too high, or the inputs need scaling)")
