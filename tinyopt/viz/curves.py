"""Training curves from ``fit`` histories: one run in detail, or several runs compared.

``plot_training_curves`` shows what a run's techniques do, step by step:
the loss (raw and smoothed, spikes crossed), the learning rate, the gradient norm before
(faint) and after (bold) clipping, and the weight norm (where Adam and
AdamW part ways).
``plot_comparison`` puts several runs side by side: smoothed training
loss, test loss and test accuracy against the step.

A history is a ``tinyopt.train.History`` or its ``to_dict()`` (as read
back from ``history.json``).

Example::

    >>> history = fit(model, loss_fn, optimizer, loader, epochs=5, max_grad_norm=1.0)
    >>> figure = plot_training_curves({"SGD, clipped": history})
"""
import numpy

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


def plot_comparison(histories, smoothing=0.9, title=None):
    """Three panels against the step: smoothed training loss, test loss, test accuracy.

    Args:
        histories: dict of label -> History (or ``to_dict()``) with ``val_loss`` and
            ``val_accuracy`` epoch records (``fit`` with a ``val_loader``).
        smoothing: the EMA factor for the training loss.
        title: an optional figure title.

    Returns the matplotlib Figure.
    """
    with lecture_style():
        figure, axes = new_figure(1, 3, panel_size=(6.2, 4.8), sharex=True)
        train_axis, test_axis, accuracy_axis = axes
        for index, (label, history) in enumerate(histories.items()):
            steps, epochs = _records(history)
            style = {"color": color(index), "linestyle": line_style(index)}
            x = numpy.arange(1, len(steps["loss"]) + 1)
            train_axis.plot(x, smooth(steps["loss"], smoothing), label=label, **style)
            ends = _epoch_end_steps(steps, epochs)
            test_axis.plot(ends, epochs["val_loss"], marker="o", markersize=4, **style)
            accuracy_axis.plot(ends, numpy.asarray(epochs["val_accuracy"]) * 100, marker="o",
                               markersize=4, **style)
        train_axis.set(xlabel="step", ylabel="loss", title="Training loss (smoothed)")
        test_axis.set(xlabel="step", ylabel="loss", title="Test loss")
        log_scale(train_axis)
        log_scale(test_axis)
        accuracy_axis.set(xlabel="step", ylabel="accuracy (%)", title="Test accuracy")
        low = min(min(_records(h)[1]["val_accuracy"]) for h in histories.values()) * 100
        accuracy_axis.set_ylim(max(0.0, min(low, 90.0) - 2), 100.5)
        figure.legend(*train_axis.get_legend_handles_labels(), loc="outside lower center",
                      ncols=min(len(histories), 3))
        if title:
            figure.suptitle(title)
    return figure


__all__ = ["plot_training_curves", "plot_comparison", "smooth"]
