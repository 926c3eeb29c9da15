r"""Weight averaging: an exponential moving average (EMA) of the weights, and SWA.

An average of the weights along the trajectory often generalises better
than the last weights (Polyak averaging; Izmailov et al. 2018, "Averaging
weights leads to wider optima"):

    EMA:  θ̄ ← θ̄ + (1 - decay)(θ - θ̄)          after every step
    SWA:  θ̄ ← θ̄ + (θ - θ̄) / (n + 1)            an equal-weight mean of n + 1 snapshots

As in ``torch.optim.swa_utils``: ``AveragedModel`` holds a copy of the
model whose weights are the average (SWA by default, or EMA with
``multi_avg_fn=get_ema_multi_avg_fn(decay)``), ``SWALR`` anneals the rate to
a constant for the averaging phase, and ``update_bn`` recomputes batch-norm
statistics for the averaged weights. ``EMA`` is a lighter helper that keeps
the averages beside the model and swaps them in for evaluation.

Both updates are ``lerp(avg, θ, w)`` computed as PyTorch's lerp kernel
does (``avg + w (θ - avg)`` for w < 0.5, ``θ - (θ - avg)(1 - w)`` otherwise).

Example (SWA over the last 25 epochs)::

    >>> swa_model, swa_scheduler = AveragedModel(model), SWALR(optimizer, swa_lr=0.05)
    >>> for epoch in range(100):
    ...     train_one_epoch()
    ...     if epoch >= 75:
    ...         swa_model.update_parameters(model); swa_scheduler.step()
    >>> update_bn(loader, swa_model)
"""
import contextlib
import copy
import numbers

from .. import backend
from ..autograd import Tensor, no_grad
from ..nn import Module
from ..nn.normalization import _BatchNorm
from .lr_scheduler.swa_lr import SWALR


def lerp_(average, current, weight):
    """``average ← average + weight (current - average)`` in place, as PyTorch's lerp rounds it."""
    if weight < 0.5:
        average += weight * (current - average)
    else:
        average[...] = current - (current - average) * (1 - weight)


def _check_decay(decay):
    if isinstance(decay, bool) or not isinstance(decay, numbers.Real):
        raise TypeError(f"decay must be a number in [0, 1], got {decay!r}")
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay must be in [0, 1], got {decay}")


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA update over lists of arrays, for ``AveragedModel(multi_avg_fn=...)``."""
    _check_decay(decay)

    def ema_update(averages, currents, num_averaged):
        for average, current in zip(averages, currents):
            if backend.is_float(average.dtype):
                lerp_(average, current, 1 - decay)
            else:
                average[...] = current
    return ema_update


def get_swa_multi_avg_fn():
    """An in-place equal-weight running mean over lists of arrays."""
    def swa_update(averages, currents, num_averaged):
        for average, current in zip(averages, currents):
            if backend.is_float(average.dtype):
                lerp_(average, current, 1 / (int(num_averaged) + 1))
            else:
                average[...] = current
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """``avg_fn(average, current, n) -> decay · average + (1 - decay) · current`` (arrays)."""
    _check_decay(decay)
    return lambda average, current, num_averaged: decay * average + (1 - decay) * current


def get_swa_avg_fn():
    """``avg_fn(average, current, n) -> average + (current - average) / (n + 1)`` (arrays)."""
    return lambda average, current, num_averaged: \
        average + (current - average) / (int(num_averaged) + 1)


class AveragedModel(Module):
    """A copy of ``model`` whose weights are a running average of ``model``'s.

    Args:
        model: the model being trained.
        device: accepted for PyTorch compatibility; unused.
        avg_fn: ``avg_fn(average, current, n) -> new average`` per array.
        multi_avg_fn: ``multi_avg_fn(averages, currents, n)`` updating in place
            (default: the SWA mean).
        use_buffers: average the buffers too (else they are copied from ``model``).

    ``update_parameters(model)`` after a step folds the current weights in;
    the first call copies them. Calling the AveragedModel runs the copy.
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        self.module = copy.deepcopy(model)
        self.register_buffer("n_averaged", Tensor(backend.xp.zeros((), "int64")))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _tensors(self, model):
        tensors = list(model.parameters())
        return tensors + list(model.buffers()) if self.use_buffers else tensors

    def update_parameters(self, model):
        """Fold ``model``'s current weights into the average."""
        averages = [t.array for t in self._tensors(self.module)]
        currents = [t.array for t in self._tensors(model)]
        if len(averages) != len(currents):
            raise ValueError(f"the model has {len(currents)} parameters, the averaged copy "
                             f"{len(averages)}: pass the model it was built from")
        count = int(self.n_averaged.array)
        if count == 0:
            for average, current in zip(averages, currents):
                average[...] = current
        elif self.avg_fn is not None and self.multi_avg_fn is None:
            for average, current in zip(averages, currents):
                average[...] = self.avg_fn(average, current, count)
        else:
            (self.multi_avg_fn or get_swa_multi_avg_fn())(averages, currents, count)
        if not self.use_buffers:
            for mine, theirs in zip(self.module.buffers(), model.buffers()):
                mine.array[...] = theirs.array
        self.n_averaged.array += 1


class EMA:
    """An exponential moving average of a model's parameters, kept beside the model.

    Args:
        model: the model being trained.
        decay: weight of the old average, in [0, 1] (default 0.999).

    Call ``update()`` after every optimizer step; evaluate with the
    averages inside ``with ema.average_parameters():`` (the trained weights
    come back after the block), or ``copy_to()`` to keep them.
    """

    def __init__(self, model, decay=0.999):
        _check_decay(decay)
        self.model, self.decay, self.num_updates = model, decay, 0
        self.shadow = [p.array.copy() for p in model.parameters()]
        self._update = get_ema_multi_avg_fn(decay)

    def update(self):
        """Fold the model's current parameters into the averages."""
        self._update(self.shadow, [p.array for p in self.model.parameters()], self.num_updates)
        self.num_updates += 1

    def copy_to(self, model=None):
        """Write the averages into ``model``'s parameters (default: the tracked model)."""
        for param, average in zip((model or self.model).parameters(), self.shadow):
            param.array[...] = average

    @contextlib.contextmanager
    def average_parameters(self):
        """A ``with`` block in which the model holds the averages; its weights return after."""
        saved = [p.array.copy() for p in self.model.parameters()]
        self.copy_to()
        try:
            yield self.model
        finally:
            for param, value in zip(self.model.parameters(), saved):
                param.array[...] = value

    def state_dict(self):
        """``{'decay', 'num_updates', 'shadow'}`` (copies)."""
        return {"decay": self.decay, "num_updates": self.num_updates,
                "shadow": [a.copy() for a in self.shadow]}

    def load_state_dict(self, state_dict):
        """Restore ``state_dict()``: shapes must match the model's parameters.

        Everything is checked before anything is written, so a failed load
        (``ValueError``/``TypeError`` naming the key) leaves the EMA unchanged.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"EMA.load_state_dict expects a dict from EMA.state_dict(), got "
                            f"{type(state_dict).__name__}")
        missing = [key for key in ("decay", "num_updates", "shadow") if key not in state_dict]
        if missing:
            raise ValueError(f"EMA state lacks {missing}")
        decay, num_updates = state_dict["decay"], state_dict["num_updates"]
        _check_decay(decay)
        if isinstance(num_updates, bool) or not isinstance(num_updates, numbers.Integral) \
                or num_updates < 0:
            raise ValueError(f"num_updates must be an int >= 0, got {num_updates!r}")
        if not isinstance(state_dict["shadow"], (list, tuple)):
            raise TypeError(f"EMA state's shadow must be a list of arrays, got "
                            f"{type(state_dict['shadow']).__name__}")
        shadow = [backend.asarray(a.data if isinstance(a, Tensor) else a)
                  for a in state_dict["shadow"]]
        shapes = [tuple(a.shape) for a in shadow]
        if shapes != [tuple(a.shape) for a in self.shadow]:
            raise ValueError(f"EMA state holds shapes {shapes}, the model's parameters have "
                             f"{[tuple(a.shape) for a in self.shadow]}")
        kinds = [str(a.dtype) for a in shadow if not backend.is_float(a.dtype)]
        if kinds:
            raise TypeError(f"EMA state's shadow must hold float arrays, got dtype {kinds[0]}")
        self.decay, self.num_updates = decay, int(num_updates)
        self._update = get_ema_multi_avg_fn(decay)
        self.shadow = [a.copy() for a in shadow]


def update_bn(loader, model, device=None):
    """Recompute every batch-norm layer's running statistics with one pass over ``loader``.

    Running means/variances are reset and then averaged with equal weight
    over all batches (momentum None), as ``torch.optim.swa_utils.update_bn``
    does; ``loader`` yields inputs or ``(inputs, ...)`` tuples.
    """
    layers = [m for m in model.modules() if isinstance(m, _BatchNorm) and m.track_running_stats]
    if not layers:
        return
    momenta = {}
    for layer in layers:
        layer.running_mean.array[...] = 0
        layer.running_var.array[...] = 1
        layer.num_batches_tracked.array[...] = 0
        momenta[layer], layer.momentum = layer.momentum, None
    was_training = model.training
    model.train()
    with no_grad():
        for batch in loader:
            model(batch[0] if isinstance(batch, (list, tuple)) else batch)
    for layer, momentum in momenta.items():
        layer.momentum = momentum
    model.train(was_training)


__all__ = ["AveragedModel", "EMA", "SWALR", "update_bn", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn", "lerp_"]
