"""A plain training loop: ``fit`` with a progress bar, ``evaluate``, and a ``History``.

One step is the five lines every course teaches::

    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()

``fit`` runs them over a data loader for some epochs, records the loss of
every step and the metrics of every epoch, and shows a progress bar when it
writes to a terminal.
"""
import math
import sys
import time
from collections import defaultdict

from .autograd import no_grad


class History:
    """Per-step and per-epoch records of a run.

    ``steps[name]`` is a list with one value per optimizer step (e.g. ``"loss"``);
    ``epochs[name]`` one value per epoch (``"train_loss"``, ``"val_loss"``,
    ``"val_accuracy"``, ``"time"``).
    """

    def __init__(self):
        self.steps = defaultdict(list)
        self.epochs = defaultdict(list)

    def log_step(self, **values):
        """Append one value per name to the per-step record."""
        for name, value in values.items():
            self.steps[name].append(value)

    def log_epoch(self, **values):
        """Append one value per name to the per-epoch record."""
        for name, value in values.items():
            self.epochs[name].append(value)

    def to_dict(self):
        """Plain dicts of lists, ready for ``json.dump``."""
        return {"steps": dict(self.steps), "epochs": dict(self.epochs)}

    def __repr__(self):
        last = {name: values[-1] for name, values in self.epochs.items() if values}
        return f"History({len(self.steps['loss'])} steps, last epoch {last})"


def accuracy(logits, target):
    """Fraction of rows of (N, C) ``logits`` whose arg-max equals the integer ``target``."""
    predicted = logits.data.argmax(axis=-1)
    return float((predicted == target.data).mean())


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
        history=None):
    """Train ``model`` for ``epochs`` passes over ``train_loader``.

    Args:
        model: a ``tinyopt.nn.Module``.
        loss_fn: ``loss_fn(model_output, target)`` returning a scalar Tensor.
        optimizer: anything with ``zero_grad()`` and ``step()`` (``tinyopt.optim``).
        train_loader: yields ``(inputs, target)`` batches (a ``DataLoader``).
        epochs: number of passes, a positive int.
        val_loader: optional; evaluated after every epoch.
        progress: show a progress bar; None shows one only on a terminal.
        history: a ``History`` to continue; a new one by default.

    Returns:
        The ``History``. A non-finite loss stops training with a
        ``FloatingPointError`` naming the epoch and step (lower the learning rate).
    """
    if not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    history = History() if history is None else history
    show = sys.stderr.isatty() if progress is None else bool(progress)
    bar = _progress_bar(epochs * len(train_loader), show)
    try:
        for epoch in range(epochs):
            start, total, count = time.perf_counter(), 0.0, 0
            model.train()
            for inputs, target in train_loader:
                optimizer.zero_grad()
                loss = loss_fn(model(inputs), target)
                loss.backward()
                optimizer.step()
                value = loss.item()
                if not math.isfinite(value):
                    raise FloatingPointError(
                        f"loss became {value} at epoch {epoch}, step {len(history.steps['loss'])}:"
                        " the learning rate is probably too high")
                history.log_step(loss=value)
                total, count = total + value * len(target), count + len(target)
                bar.update(1)
                bar.set_postfix(loss=f"{value:.4f}", refresh=False)
            record = {"train_loss": total / max(count, 1)}
            if val_loader is not None:
                record.update({f"val_{k}": v for k, v in
                               evaluate(model, loss_fn, val_loader).items()})
            record["time"] = time.perf_counter() - start
            history.log_epoch(epoch=epoch, **record)
    finally:
        bar.close()
    return history


def _progress_bar(total, show):
    from tqdm.auto import tqdm
    return tqdm(total=total, disable=not show, unit="step", leave=False, file=sys.stderr)


__all__ = ["History", "accuracy", "evaluate", "fit"]
