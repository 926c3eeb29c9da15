"""Training curves from ``fit`` histories: one run in detail, or several runs compared.

``plot_training_curves`` shows what a run's techniques do, step by step:
the loss (raw and smoothed, spikes crossed), the learning rate, the gradient norm before
(faint) and after (bold) clipping, and the weight norm (where Adam and
AdamW part ways).
``plot_comparison`` puts several runs side by side: smoothed training
loss (optionally over the raw one), test loss and test accuracy against the step.

A history is a ``tinyopt.train.History`` or its ``to_dict()`` (as read
back from ``history.json``).

Example::

    >>> history = fit(model, loss_fn, optimizer, loader, epochs=5, max_grad_norm=1.0)
    >>> figure = plot_training_curves({"SGD, clipped": history})
"""
import numpy
from matplotlib.lines import Line2D

from .style import color, lecture_style, line_style, log_scale, new_figure


def _records(history):
    """``(steps, epochs)`` dicts of lists from a History or its ``to_dict()``."""
    if isinstance(history, dict):
        return history["steps"], history["epochs"]
    return history.steps, history.epochs


def smooth(values, beta=0.9):
    """Bias-corrected exponential moving average (as in Adam's moments) of ``values``."""
    smoothed, average = [], 0.0
    for step, value in enumerate(values, start=1):
        average = beta * average + (1 - beta) * value
        smoothed.append(average / (1 - beta ** step))
    return numpy.asarray(smoothed)


def _mark_spikes(axis, history, colour):
    """A cross on each loss spike a ``SpikeDetector`` recorded (``history.spikes``)."""
    spikes = history.get("spikes", []) if isinstance(history, dict) else history.spikes
    if spikes:
        axis.plot([s["step"] + 1 for s in spikes], [s["loss"] for s in spikes], linestyle="none",
                  marker="x", markersize=11, markeredgewidth=2.5, color=colour,
                  label="loss spike")


def _epoch_end_steps(steps, epochs):
    """The step count at the end of each recorded epoch (assumes equal epochs)."""
    count = len(epochs.get("train_loss", [])) or 1
    per_epoch = len(steps["loss"]) / count
    return numpy.arange(1, count + 1) * per_epoch


def plot_training_curves(histories, smoothing=0.9, title=None):
    """Four panels per step: loss, learning rate, gradient norm (clipped bold), weight norm.

    Args:
        histories: dict of label -> History (or its ``to_dict()``).
        smoothing: the EMA factor for the bold loss curve (the raw loss is drawn faint).
        title: an optional figure title.

    Returns the matplotlib Figure.
    """
    with lecture_style():
        figure, axes = new_figure(2, 2, panel_size=(7.0, 4.6), sharex=True)
        loss_axis, lr_axis, grad_axis, weight_axis = axes.ravel()
        for index, (label, history) in enumerate(histories.items()):
            steps, _ = _records(history)
            x = numpy.arange(1, len(steps["loss"]) + 1)
            style = {"color": color(index), "linestyle": line_style(index)}
            loss_axis.plot(x, steps["loss"], color=color(index), alpha=0.25, linewidth=1)
            loss_axis.plot(x, smooth(steps["loss"], smoothing), label=label, **style)
            _mark_spikes(loss_axis, history, color(index))
            lr_axis.plot(x, steps["lr"], **style)
            clipped = "grad_norm_clipped" in steps  # then: before faint, after bold
            grad_axis.plot(x, steps["grad_norm"], color=color(index), linewidth=1.0,
                           alpha=0.35 if clipped else 0.8,
                           label=f"{label}: before clipping" if clipped else label)
            if clipped:
                grad_axis.plot(x, steps["grad_norm_clipped"], color=color(index),
                               linewidth=1.4, label=f"{label}: after clipping")
            weight_axis.plot(x, steps["weight_norm"], **style)
        loss_axis.set(ylabel="training loss", title="Loss (faint: per step)")
        log_scale(loss_axis)
        lr_axis.set(ylabel="learning rate", title="Learning rate")
        lr_axis.set_ylim(bottom=0)
        grad_axis.set(xlabel="step", ylabel="gradient norm", title="Gradient norm")
        log_scale(grad_axis)
        weight_axis.set(xlabel="step", ylabel="weight norm", title="Weight norm")
        loss_axis.legend(loc="best")
        grad_axis.legend(loc="best", fontsize=11)
        if title:
            figure.suptitle(title)
    return figure


def plot_comparison(histories, smoothing=0.9, title=None, raw_loss=False):
    """Runs side by side against the step: smoothed training loss, test loss, test accuracy.

    Args:
        histories: dict of label -> History (or ``to_dict()``). The test panels need the
            ``val_loss`` and ``val_accuracy`` epoch records of ``fit`` with a
            ``val_loader``; when no run has them, only the training-loss panel is drawn.
        smoothing: the EMA factor for the training loss.
        title: an optional figure title.
        raw_loss: also draw each step's unsmoothed loss, faint, under the smoothed curve
            (the noise a mini-batch gives; the smoothing hides spikes).

    Loss spikes a ``SpikeDetector`` recorded are crossed on the training loss.
    Returns the matplotlib Figure.
    """
    if not histories:
        raise ValueError("plot_comparison: histories is empty: give at least one label -> "
                         "history")
    validated = any(_records(history)[1].get("val_loss") for history in histories.values())
    with lecture_style():
        figure, axes = new_figure(1, 3 if validated else 1,
                                  panel_size=(6.2, 4.8) if validated else (8.0, 5.0),
                                  sharex=True)
        train_axis, *test_axes = numpy.atleast_1d(axes)
        for index, (label, history) in enumerate(histories.items()):
            steps, epochs = _records(history)
            style = {"color": color(index), "linestyle": line_style(index)}
            x = numpy.arange(1, len(steps["loss"]) + 1)
            if raw_loss:
                train_axis.plot(x, steps["loss"], color=color(index), alpha=0.25, linewidth=1)
            train_axis.plot(x, smooth(steps["loss"], smoothing), label=label, **style)
            _mark_spikes(train_axis, history, color(index))
            if validated and epochs.get("val_loss"):
                ends = _epoch_end_steps(steps, epochs)
                test_axes[0].plot(ends, epochs["val_loss"], marker="o", markersize=4, **style)
                test_axes[1].plot(ends, numpy.asarray(epochs["val_accuracy"]) * 100,
                                  marker="o", markersize=4, **style)
        smoothed = "\n(smoothed; faint: per step)" if raw_loss else " (smoothed)"
        train_axis.set(xlabel="step", ylabel="loss", title=f"Training loss{smoothed}")
        log_scale(train_axis)
        if validated:
            test_axis, accuracy_axis = test_axes
            test_axis.set(xlabel="step", ylabel="loss", title="Test loss")
            log_scale(test_axis)
            accuracy_axis.set(xlabel="step", ylabel="accuracy (%)", title="Test accuracy")
            low = min(min(_records(h)[1]["val_accuracy"]) for h in histories.values()
                      if _records(h)[1].get("val_accuracy")) * 100
            accuracy_axis.set_ylim(max(0.0, min(low, 90.0) - 2), 100.5)
        handles, labels = train_axis.get_legend_handles_labels()
        runs = [(handle, text) for handle, text in zip(handles, labels) if text != "loss spike"]
        if len(runs) < len(labels):  # one entry for the crosses of every run, in grey
            runs.append((Line2D([], [], linestyle="none", marker="x", markersize=11,
                                markeredgewidth=2.5, color="0.35"), "loss spike"))
        handles, labels = [handle for handle, _ in runs], [text for _, text in runs]
        figure.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3))
        if title:
            figure.suptitle(title)
    return figure


__all__ = ["plot_training_curves", "plot_comparison", "smooth"]
