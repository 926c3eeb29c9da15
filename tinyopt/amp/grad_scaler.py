r"""``GradScaler``: dynamic loss scaling for float16 training (``torch.amp.GradScaler``).

float16 holds magnitudes from about 6e-8 (subnormal) to 65504. Gradients of
a float16 backward pass smaller than that underflow to 0 and training
stalls. Loss scaling multiplies the loss by S before ``backward`` so the
gradients are S times larger while in float16, then divides them by S in
float32 before the optimizer uses them:

    scaled = S · loss;   scaled.backward();   g ← g / S   (``unscale_``)
    step only if every g is finite; otherwise skip it and set S ← S · backoff_factor
    after ``growth_interval`` finite steps in a row, S ← S · growth_factor

The usual loop::

    scaler = GradScaler()
    for x, y in loader:
        optimizer.zero_grad()
        scaler.scale(loss_fn(model(x), y)).backward()
        scaler.unscale_(optimizer)                 # optional: to clip true gradients
        clip_grad_norm_(params, 1.0)
        scaler.step(optimizer)                     # None if skipped
        scaler.update()

The scale is kept as a float32 number (each update computed in float64 and
rounded to float32), as PyTorch does. ``step`` returns None when it skipped
the step; ``last_step_skipped`` says so too, and a skipped step keeps schedulers from warning that they
were stepped before the optimizer.
"""
import math
import weakref

from .. import backend

_SKIPPED = weakref.WeakKeyDictionary()  # optimizer -> number of steps a scaler skipped


def skipped_steps(optimizer):
    """How many of ``optimizer``'s steps a GradScaler has skipped (inf/NaN gradients)."""
    try:
        return _SKIPPED.get(optimizer, 0)
    except TypeError:  # an object that cannot be weakly referenced
        return 0


def _float32(value):
    return float(backend.xp.float32(value))


def _grads(optimizer):
    return [p.grad.array for group in optimizer.param_groups for p in group["params"]
            if p.grad is not None]


class GradScaler:
    """Scale the loss up for a float16 backward pass, and the gradients back down.

    Args:
        device: ``"cuda"`` (PyTorch's default) or ``"cpu"``: where the scaled
            model runs. Unlike PyTorch's, a "cuda" scaler without a GPU is not
            disabled: the CPU float16 pass it serves is tinyopt's simulation of it.
        init_scale: the starting scale S (default 2**16).
        growth_factor: S grows by this after ``growth_interval`` finite steps (default 2).
        backoff_factor: S shrinks by this after a step with inf/NaN (default 0.5).
        growth_interval: finite steps in a row before growing (default 2000).
        enabled: False makes every method a pass-through (``scale`` returns its input).
    """

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0,
                 backoff_factor=0.5, growth_interval=2000, enabled=True):
        if device not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
        self.device = device
        if not init_scale > 0 or not math.isfinite(init_scale):
            raise ValueError(f"init_scale must be a finite number > 0, got {init_scale}")
        if not growth_factor > 1.0:
            raise ValueError(f"growth_factor must be > 1, got {growth_factor}")
        if not 0.0 < backoff_factor < 1.0:
            raise ValueError(f"backoff_factor must be in (0, 1), got {backoff_factor}")
        if isinstance(growth_interval, bool) or not isinstance(growth_interval, int) \
                or growth_interval <= 0:
            raise ValueError(f"growth_interval must be a positive int, got {growth_interval!r}")
        self._enabled = bool(enabled)
        self._scale = _float32(init_scale)
        self._growth_factor, self._backoff_factor = growth_factor, backoff_factor
        self._growth_interval, self._growth_tracker = growth_interval, 0
        self._per_optimizer = {}  # id(optimizer) -> {"unscaled", "stepped", "found_inf"}: bools
        self.last_step_skipped = False

    def is_enabled(self):
        """Whether scaling is on."""
        return self._enabled

    def get_scale(self):
        """The current scale S (1.0 when disabled)."""
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self):
        """The growth factor."""
        return self._growth_factor

    def get_backoff_factor(self):
        """The backoff factor."""
        return self._backoff_factor

    def get_growth_interval(self):
        """Finite steps in a row before the scale grows."""
        return self._growth_interval

    def scale(self, outputs):
        """``outputs · S``: a Tensor, or a list/tuple of them (unchanged when disabled)."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(output) for output in outputs)
        return outputs * self._scale

    def _record(self, optimizer):
        return self._per_optimizer.setdefault(
            id(optimizer), {"unscaled": False, "stepped": False, "found_inf": False})

    def unscale_(self, optimizer):
        """Divide ``optimizer``'s gradients by S in place and note whether any is inf/NaN.

        Call it at most once per optimizer between ``update()`` calls (e.g.
        before clipping); ``step`` calls it if you did not. Gradients must be
        float32 or float64 (master weights), as in PyTorch.
        """
        if not self._enabled:
            return
        record = self._record(optimizer)
        if record["unscaled"]:
            raise RuntimeError("unscale_() has already been called on this optimizer since "
                               "the last update()")
        if record["stepped"]:
            raise RuntimeError("unscale_() is being called after step()")
        inverse = 1.0 / self._scale
        finite = []  # one flag per gradient, kept on the device: one host read for all
        for grad in _grads(optimizer):
            if grad.dtype == backend.xp.float16:
                raise ValueError("GradScaler cannot unscale float16 gradients: keep float32 "
                                 "master weights (tinyopt.amp.LowPrecisionModel)")
            grad *= grad.dtype.type(inverse)
            finite.append(backend.xp.isfinite(grad).all())
        found_inf = bool(finite) and not backend.host_bool(backend.xp.stack(finite).all())
        record.update(unscaled=True, found_inf=found_inf)

    def step(self, optimizer, *args, **kwargs):
        """Unscale if needed, then ``optimizer.step()`` unless a gradient is inf/NaN.

        Returns what ``optimizer.step`` returns, or None when the step was skipped.
        """
        if not self._enabled:
            self.last_step_skipped = False
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("closure use is not currently supported if GradScaler is enabled")
        record = self._record(optimizer)
        if record["stepped"]:
            raise RuntimeError("step() has already been called since the last update()")
        if not record["unscaled"]:
            self.unscale_(optimizer)
        record["stepped"] = True
        self.last_step_skipped = record["found_inf"]
        if record["found_inf"]:
            try:
                _SKIPPED[optimizer] = _SKIPPED.get(optimizer, 0) + 1
            except TypeError:
                pass
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        """Adjust S after the iteration's ``step`` calls (or set it to ``new_scale``)."""
        if not self._enabled:
            return
        if new_scale is not None:
            value = float(new_scale.item() if hasattr(new_scale, "item") else new_scale)
            self._scale = _float32(value)
        elif self._per_optimizer:
            if any(record["found_inf"] for record in self._per_optimizer.values()):
                self._scale = _float32(self._scale * self._backoff_factor)
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = _float32(self._scale * self._growth_factor)
                    if math.isfinite(grown):
                        self._scale = grown
                    self._growth_tracker = 0
        else:
            raise RuntimeError("update() needs at least one scaler.step(optimizer) or "
                               "unscale_(optimizer) since the last update()")
        self._per_optimizer = {}

    def state_dict(self):
        """The scale, the factors, the interval and the growth tracker, by PyTorch's keys."""
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict):
        """Restore ``state_dict()``."""
        if not self._enabled:
            return
        if not state_dict:
            raise RuntimeError("the state_dict is empty: it came from a disabled GradScaler")
        self._scale = _float32(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._growth_tracker = state_dict["_growth_tracker"]
