"""Learning-rate schedules as curves: any scheduler, closed-form function or list of rates.

A schedule is given as one of

- a scheduler (anything with ``lr_at(step)``, e.g. ``WarmupCosineLR``): group 0's rate,
- a function ``step -> lr`` (e.g. ``lambda t: closed_forms.cosine_annealing_lr(t, 0.1, 1000)``),
- a sequence of rates, one per step.

Warmup phases are shaded, so a slide shows where the rate is still rising.

Example::

    >>> from tinyopt.optim.lr_scheduler import closed_forms as cf
    >>> figure = plot_schedules(
    ...     {"cosine": lambda t: cf.cosine_annealing_lr(t, 0.1, 1000),
    ...      "warmup + cosine": lambda t: cf.warmup_cosine_lr(t, 0.1, 100, 1000)},
    ...     steps=1000, warmup={"warmup + cosine": 100})
"""
import numpy

from .style import color, lecture_style, line_style, new_figure


def schedule_values(schedule, steps):
    """The rates of ``schedule`` (scheduler, function or sequence) for steps ``0..steps-1``."""
    if hasattr(schedule, "lr_at"):
        return numpy.array([schedule.lr_at(step)[0] for step in range(steps)], dtype=float)
    if callable(schedule):
        return numpy.array([schedule(step) for step in range(steps)], dtype=float)
    values = numpy.asarray(schedule, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"a schedule given as values must be one-dimensional, got shape "
                         f"{values.shape}")
    return values[:steps]


def plot_schedules(schedules, steps, log_y=False, warmup=None, title="Learning-rate schedules",
                   panels=False, columns=3):
    """Draw each schedule of ``schedules`` (label -> schedule) over ``steps`` steps.

    Args:
        schedules: dict of label -> scheduler, function or sequence (see the module).
        steps: the number of steps to draw, a positive int.
        log_y: a log-scaled rate axis (good for exponential decay and warm restarts).
        warmup: optional dict of label -> warmup steps, shaded in the schedule's colour.
        title: the figure title.
        panels: one panel per schedule (titled with its label, all on the same rate
            axis) instead of all in one; a slide per schedule, or a grid of them.
        columns: panels per row with ``panels``.

    Returns the matplotlib Figure.
    """
    if not schedules:
        raise ValueError("schedules is empty: give at least one label -> schedule")
    if isinstance(columns, bool) or not isinstance(columns, int) or columns < 1:
        raise ValueError(f"columns must be an int >= 1, got {columns!r}")
    warmup = warmup or {}
    with lecture_style():
        if panels:
            columns = min(columns, len(schedules))
            rows = -(-len(schedules) // columns)
            figure, axes = new_figure(rows, columns, panel_size=(5.2, 3.6), sharex=True,
                                      sharey=True)
            axes = numpy.atleast_1d(axes).ravel()
            for axis in axes[len(schedules):]:
                axis.set_visible(False)
        else:
            figure, axis = new_figure(panel_size=(9.0, 5.0))
            axes = [axis] * len(schedules)
        for index, (axis, (label, schedule)) in enumerate(zip(axes, schedules.items())):
            values = schedule_values(schedule, steps)
            axis.plot(numpy.arange(len(values)), values, color=color(index),
                      linestyle=line_style(index), label=None if panels else label)
            warm = warmup.get(label, 0)
            if warm > 0:  # shaded in the schedule's colour, and named in its legend or title
                axis.axvspan(0, warm, color=color(index), alpha=0.12, linewidth=0,
                             label=None if panels else f"{label}: warmup")
                axis.axvline(warm, color=color(index), linewidth=1.2, linestyle=":")
            if panels:
                axis.set_title(label + (f"\n(shaded: {warm} steps of warmup)" if warm > 0
                                        else ""),
                               color=color(index), fontweight="bold", fontsize=15)
        for axis in dict.fromkeys(axes):  # each distinct axis once
            if log_y:
                axis.set_yscale("log")
            else:
                axis.set_ylim(bottom=0)
            axis.set_xlim(0, steps)
        if panels:
            for axis in axes[max(0, len(schedules) - columns):len(schedules)]:
                axis.set_xlabel("step")  # the lowest panel of each column, with its ticks
                axis.xaxis.set_tick_params(labelbottom=True)
            for axis in axes[::columns]:
                axis.set_ylabel("learning rate")
            figure.suptitle(title)
        else:
            axes[0].set_xlabel("step")
            axes[0].set_ylabel("learning rate")
            axes[0].set_title(title)
            axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return figure


__all__ = ["plot_schedules", "schedule_values"]
