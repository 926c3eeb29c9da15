"""A plain training loop: ``fit`` with a progress bar, ``evaluate``, and a ``History``.

One step is the five lines every course teaches::

    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()

``fit`` runs them over a data loader for some epochs, records the loss of
every step and the metrics of every epoch, and shows a progress bar when it
writes to a terminal. Its options add the practical techniques, each a few
lines around the five: a learning-rate scheduler (per batch or per epoch,
or on a validation metric), gradient clipping, gradient accumulation over
``k`` micro-batches, and mixed precision (float16 with a ``GradScaler``, or
emulated bfloat16) on float32 master weights. Per step it records the loss,
the learning rate, the gradient norm before and after clipping and the
weight norm, so a lecture can plot what each technique does.

The frontier optimizers train through the same ``fit`` (``tinyopt.train_steps``
has the protocol): SAM and ASAM get a closure that re-evaluates the step's
batches at the perturbed weights, SophiaH and AdaHessian the step's loss to
differentiate themselves (Hessian-vector products), SophiaG its sampled-label
Hessian estimate every ``update_period`` steps, and the Sophias' clip win
rate goes into the history. Schedule-free optimizers train at y and are
evaluated at x: ``optimizer.train()`` before every epoch's steps,
``optimizer.eval()`` after them (BatchNorm statistics recomputed at x), so
validation, the epoch callbacks, checkpoints and the caller after ``fit``
all see the average x.
"""
import sys
import time
from collections import defaultdict

from . import backend
from .autograd import no_grad
from .amp import PRECISIONS, LowPrecisionModel
from .callbacks import HOOKS, hooks
from .optim.lr_scheduler import ReduceLROnPlateau
from .optim.swa_utils import update_bn
from .recording import Recorder
from .threads import ensure_thread_setting
from .train_steps import Stepper, incompatible_options, schedule_free


class History:
    """Per-step and per-epoch records of a run.

    ``steps[name]`` is a list with one value per optimizer step (e.g. ``"loss"``);
    ``epochs[name]`` one value per epoch (``"train_loss"``, ``"val_loss"``,
    ``"val_accuracy"``, ``"time"``); ``layers`` the ``Recorder``'s per-layer records
    (``fit(..., record=[...])``); ``spikes`` one dict per loss spike a ``SpikeDetector`` found.
    """

    def __init__(self):
        self.steps = defaultdict(list)
        self.epochs = defaultdict(list)
        self.layers = defaultdict(list)
        self.spikes = []

    def log_step(self, **values):
        """Append one value per name to the per-step record."""
        for name, value in values.items():
            self.steps[name].append(value)

    def log_epoch(self, **values):
        """Append one value per name to the per-epoch record."""
        for name, value in values.items():
            self.epochs[name].append(value)

    def to_dict(self):
        """Plain dicts of lists, ready for ``json.dump`` (``layers`` and ``spikes`` when any)."""
        extra = {"layers": dict(self.layers)} if self.layers else {}
        extra.update({"spikes": list(self.spikes)} if self.spikes else {})
        return {"steps": dict(self.steps), "epochs": dict(self.epochs), **extra}

    def __repr__(self):
        last = {name: values[-1] for name, values in self.epochs.items() if values}
        return f"History({len(self.steps['loss'])} steps, last epoch {last})"


def accuracy(logits, target):
    """Fraction of rows of (N, C) ``logits`` whose arg-max equals the integer ``target``."""
    predicted = logits.array.argmax(axis=-1)
    return float(backend.to_host((predicted == target.array).mean()))  # a host read per batch


def evaluate(model, loss_fn, loader):
    """Mean loss (and accuracy, for class targets) over ``loader``, in eval mode, no graph.

    Returns a dict with ``"loss"`` and, when the model outputs (N, C) scores
    for integer targets, ``"accuracy"``.
    """
    was_training = model.training
    model.eval()
    total_loss, correct, count, classify = 0.0, 0.0, 0, True
    with no_grad():
        for inputs, target in loader:
            output = model(inputs)
            size = len(target)
            total_loss += loss_fn(output, target).item() * size
            classify = classify and output.ndim == 2 and target.dtype.kind in "iu"
            if classify:
                correct += accuracy(output, target) * size
            count += size
    model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the loader yielded no samples")
    result = {"loss": total_loss / count}
    if classify:
        result["accuracy"] = correct / count
    return result


def fit(model, loss_fn, optimizer, train_loader, epochs=1, val_loader=None, progress=None,
        history=None, *, scheduler=None, scheduler_interval="epoch", scheduler_metric="val_loss",
        accumulate_steps=1, max_grad_norm=None, clip_value=None, norm_type=2.0,
        precision="float32", scaler=None, callbacks=(), record=None, record_every=1):
    """Train ``model`` for ``epochs`` passes over ``train_loader``.

    Args:
        model: a ``tinyopt.nn.Module``.
        loss_fn: ``loss_fn(model_output, target)`` returning a scalar Tensor
            (a batch mean, so that accumulation equals one big batch).
        optimizer: a ``tinyopt.optim`` optimizer.
        train_loader: yields ``(inputs, target)`` batches (a ``DataLoader``).
        epochs: number of passes, a positive int.
        val_loader: optional; evaluated after every epoch.
        progress: show a progress bar; None shows one only on a terminal.
        history: a ``History`` to continue; a new one by default.
        scheduler: a ``tinyopt.optim.lr_scheduler`` scheduler, stepped after the optimizer.
        scheduler_interval: ``"epoch"`` (after validation) or ``"batch"`` (after every
            optimizer step that the scaler did not skip: one per ``accumulate_steps``
            batches, so size a OneCycleLR's total_steps by optimizer steps).
        scheduler_metric: the epoch record a ``ReduceLROnPlateau`` watches
            (``"val_loss"``, ``"val_accuracy"``, ``"train_loss"``); per batch, the step's loss.
        accumulate_steps: micro-batches per optimizer step, k >= 1. Each micro-batch's
            loss is weighted by its share of the window's samples (1/k for equal batches),
            so k batches of size b step exactly like one batch of k·b; the last, partial
            window of an epoch is stepped, weighted by its own sample count.
        max_grad_norm: clip the total gradient norm to this (``clip_grad_norm_``).
        clip_value: clamp every gradient entry to ``[-clip_value, clip_value]``.
        norm_type: the p of the recorded and clipped gradient norms (default 2).
        precision: ``"float32"``, ``"float16"`` or ``"bfloat16"`` (emulated): forward and
            backward on a ``LowPrecisionModel`` copy, the optimizer on float32 masters.
        scaler: a ``GradScaler`` for loss scaling (float16 needs one to avoid underflow).
        callbacks: objects with ``on_before_optimizer_step``, ``on_step_end``,
            ``on_epoch_end`` methods (``tinyopt.callbacks``), called in order, once per
            optimizer step (not per micro-batch) and once per epoch.
        record: per-layer statistics to keep in ``history.layers`` (``tinyopt.recording``:
            ``"update_ratio"``, ``"grad_norm"``, ``"weight_norm"``, ``"update_norm"``,
            ``"lr"``, ``"effective_lr"``); None records nothing and costs nothing.
        record_every: record one optimizer step in this many.

    Returns:
        The ``History``: per step ``loss``, ``lr`` (of group 0; ``lr_group{i}`` for the
        others), ``grad_norm`` (before clipping), ``grad_norm_clipped`` (when clipping),
        ``weight_norm``, and ``loss_scale`` with a scaler. A non-finite loss stops training
        with a ``FloatingPointError`` naming the epoch and step and what it checked (the
        inputs, the weights); so does an inf/NaN gradient norm, one step earlier, before
        the update (unless a ``scaler`` is skipping such steps). With a Sophia, per step
        also ``win_rate`` (the fraction of coordinates not clipped).

    Raises ``ValueError`` naming the option an optimizer cannot train with (a ``scaler``
    or low ``precision`` for the closure and Hessian optimizers).

    Threads: the first ``fit`` of a process applies the thread setting
    (``tinyopt.threads``: one thread per core for the BLAS and numba pools, idle
    OpenMP threads asleep; ``OPENBLAS_NUM_THREADS`` and the like the user set are
    kept) unless ``tinyopt.backend.set_threads(n)`` ran before.
    ``TINYOPT_NUM_THREADS=n`` chooses the count, ``TINYOPT_NUM_THREADS=off`` leaves
    the pools alone; any other value raises ``ValueError``.
    """
    if not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if isinstance(accumulate_steps, bool) or not isinstance(accumulate_steps, int) \
            or accumulate_steps <= 0:
        raise ValueError(f"accumulate_steps must be a positive int, got {accumulate_steps!r}")
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"scheduler_interval must be 'epoch' or 'batch', got "
                         f"{scheduler_interval!r}")
    if precision not in ("float32",) + PRECISIONS:
        raise ValueError(f"precision must be one of {('float32',) + PRECISIONS}, got "
                         f"{precision!r}")
    _check_not_empty("train_loader", train_loader)
    ensure_thread_setting()
    if val_loader is not None:
        _check_not_empty("val_loader", val_loader)
    if record is not None:
        callbacks = [*callbacks, Recorder(record, record_every)]
    step_hooks, end_hooks, epoch_hooks = (hooks(callbacks, name) for name in HOOKS)
    history = History() if history is None else history
    show = sys.stderr.isatty() if progress is None else bool(progress)
    bar = _progress_bar(epochs * len(train_loader), show)
    incompatible_options(optimizer, precision, scaler)
    stepper = Stepper(model, loss_fn, optimizer, history, max_grad_norm, clip_value, norm_type,
                       None if precision == "float32" else LowPrecisionModel(model, precision),
                       scaler, step_hooks, end_hooks)
    try:
        for epoch in range(epochs):
            start, total, count = time.perf_counter(), 0.0, 0
            model.train()
            if schedule_free(optimizer):
                optimizer.train()
            for window in _windows(train_loader, accumulate_steps):
                loss, size, stepped = stepper.step(window, epoch)
                total, count = total + loss * size, count + size
                if stepped and scheduler is not None and scheduler_interval == "batch":
                    _step_scheduler(scheduler, loss)
                bar.update(len(window))
                bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            if count == 0:
                raise ValueError(f"train_loader yielded no samples in epoch {epoch}")
            record = {"train_loss": total / count}
            if schedule_free(optimizer):
                _use_the_average(model, optimizer, train_loader)
            if val_loader is not None:
                record.update({f"val_{k}": v for k, v in
                               evaluate(model, loss_fn, val_loader).items()})
            if scheduler is not None and scheduler_interval == "epoch":
                _step_scheduler(scheduler, _epoch_metric(scheduler, record, scheduler_metric))
            record["time"] = time.perf_counter() - start
            history.log_epoch(epoch=epoch, **record)
            for hook in epoch_hooks:
                hook(epoch, record, model, optimizer, history)
    finally:
        bar.close()
    return history


def _use_the_average(model, optimizer, train_loader):
    """Schedule-free: the weights to x (``optimizer.eval()``), BatchNorm statistics recomputed
    there over ``train_loader`` (as the schedulefree docs advise), its epoch counter kept."""
    optimizer.eval()
    epoch = getattr(train_loader, "epoch", None)
    update_bn(train_loader, model)
    if epoch is not None:
        train_loader.set_epoch(epoch)


def _check_not_empty(name, loader):
    """Refuse, before any training, a loader with no batches (an empty data set, or
    ``drop_last`` with fewer samples than a batch): its epochs would record a loss of 0."""
    if len(loader) > 0:
        return
    dataset, detail = getattr(loader, "dataset", None), ""
    if dataset is not None and hasattr(loader, "batch_size"):
        detail = (f" ({len(dataset)} samples, batch_size={loader.batch_size}, "
                  f"drop_last={getattr(loader, 'drop_last', False)})")
    raise ValueError(f"{name} has no batches{detail}: there is nothing to train on")


def _windows(loader, size):
    """The loader's batches in lists of ``size`` (the last list may be shorter)."""
    window = []
    for batch in loader:
        window.append(batch)
        if len(window) == size:
            yield window
            window = []
    if window:
        yield window


def _needs_metric(scheduler):
    if isinstance(scheduler, ReduceLROnPlateau):
        return True
    return any(_needs_metric(child) for child in getattr(scheduler, "schedulers", ())
               if child is not None)


def _step_scheduler(scheduler, metric):
    if _needs_metric(scheduler):
        scheduler.step(metric)
    else:
        scheduler.step()


def _epoch_metric(scheduler, record, name):
    if not _needs_metric(scheduler):
        return None
    if name not in record:
        raise ValueError(f"scheduler_metric {name!r} is not recorded (have {sorted(record)}): "
                         "pass val_loader, or scheduler_metric='train_loss'")
    return record[name]


def _progress_bar(total, show):
    from tqdm.auto import tqdm
    return tqdm(total=total, disable=not show, unit="step", leave=False, file=sys.stderr)


__all__ = ["History", "accuracy", "evaluate", "fit"]
