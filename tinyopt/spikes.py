"""Loss spikes: a sudden jump of the training loss, found as it happens, optionally undone.

A step's loss ``L_t`` is a spike when it exceeds the median ``m`` of the
last ``window`` losses both relatively and absolutely::

    L_t > (1 + relative) · m    and    L_t - m > absolute

(the absolute threshold keeps a nearly converged run, where tiny losses
double by noise, from crying wolf). The detector needs a full window
before it judges. Each spike is appended to ``history.spikes`` as
``{"step", "loss", "reference", "skipped"}`` and marked in
``plot_training_curves`` and ``plot_layer_dynamics``.

The loss of step t is measured at the weights the previous step produced,
so a spike says that step t-1's update went too far (the step was as large
as the weights). With ``skip=True`` the detector does what large-model
training runs do on a spike: it rewinds the model (parameters and buffers)
and the optimizer state (moments, step counts) to their values before step
t-1, so that both the update that caused the spike and
the spiking batch's own update are dropped, and training continues with the
next batch; the hyper-parameters (the rates a scheduler set) stay as they
are, so the schedule runs on undisturbed. A skipped spike's loss stays out
of the window. Rewinding keeps two copies of the model and optimizer state
(and copies them every step).

Example::

    >>> detector = SpikeDetector(window=20, relative=2.0, skip=True)
    >>> history = fit(model, loss_fn, optimizer, loader, callbacks=[detector])
    >>> [spike["step"] for spike in history.spikes]
    [312]
"""
import math
import statistics
from collections import deque

from .callbacks import Callback


class SpikeDetector(Callback):
    """Mark (and with ``skip`` undo) loss spikes, judged against a rolling median.

    Args:
        window: how many recent losses the median is taken over, an int >= 2.
        relative: a spike exceeds the median by this fraction, >= 0 (default 2.0: three times
            the median; mini-batch noise alone often doubles a loss).
        absolute: and by at least this much, in loss units, >= 0.
        skip: rewind to the state before the update that caused the spike.
    """

    def __init__(self, window=20, relative=2.0, absolute=0.0, skip=False):
        if isinstance(window, bool) or not isinstance(window, int) or window < 2:
            raise ValueError(f"window must be an int >= 2, got {window!r}")
        for name, value in (("relative", relative), ("absolute", absolute)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if not isinstance(skip, bool):
            raise TypeError(f"skip must be True or False, got {skip!r}")
        self.window, self.relative, self.absolute, self.skip = window, relative, absolute, skip
        self.recent = deque(maxlen=window)
        self._current = self._previous = None

    def is_spike(self, loss):
        """Whether ``loss`` is a spike against the current window (False until it is full)."""
        if len(self.recent) < self.window:
            return False
        reference = statistics.median(self.recent)
        return loss > (1 + self.relative) * reference and loss - reference > self.absolute

    def on_before_optimizer_step(self, step, loss, model, optimizer, history):
        """With ``skip``: keep the state this step starts from."""
        if self.skip:
            self._current = (model.state_dict(), optimizer.state_dict())

    def on_step_end(self, step, loss, model, optimizer, history):
        """Judge the step's loss; record a spike, and with ``skip`` rewind."""
        if not self.is_spike(loss):
            self.recent.append(loss)
            self._previous = self._current
            return
        history.spikes.append({"step": step, "loss": loss,
                               "reference": statistics.median(self.recent), "skipped": self.skip})
        if not self.skip:
            self.recent.append(loss)
            return
        weights, state = self._previous if self._previous is not None else self._current
        settings = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
        model.load_state_dict(weights)
        optimizer.load_state_dict(state)
        for group, kept in zip(optimizer.param_groups, settings):
            group.update(kept)


__all__ = ["SpikeDetector"]
