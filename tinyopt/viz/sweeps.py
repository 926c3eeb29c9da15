"""A hyper-parameter sweep as a lecture figure: the final and best metric against the value.

Two panels against the swept value (log axis): the training loss (log axis)
and the test accuracy, each at the end of training (bold, with markers) and
at its best epoch (dashed). With several seeds a point is their mean and
its error bar their standard deviation. A value at which some seed diverged
gets a cross at the top of both panels, labelled with how many seeds did; a
value at which every seed diverged has only the cross. The learning rate
at which the loss is lowest, just before the crosses begin, is the slide's
"largest learning rate that trains".

Example::

    >>> results = [{"value": 0.1, "seed": 0, "final_train_loss": 0.2, "best_train_loss": 0.19,
    ...             "final_test_accuracy": 0.95, "best_test_accuracy": 0.96}, ...]
    >>> figure = plot_sweep(results, "lr")
"""
import numpy
from matplotlib.transforms import blended_transform_factory

from .style import color, lecture_style, log_scale, new_figure

PANELS = (("train_loss", "training loss"), ("test_accuracy", "test accuracy (%)"))


def sweep_summary(results):
    """Per swept value (sorted): ``{"value", "runs", "diverged", and for each metric of
    ``results`` its mean and std over the seeds that did not diverge}``."""
    summary = []
    for value in sorted({result["value"] for result in results}):
        runs = [result for result in results if result["value"] == value]
        finished = [result for result in runs if "diverged" not in result]
        row = {"value": value, "runs": len(runs), "diverged": len(runs) - len(finished)}
        for key in (finished[0] if finished else {}):
            if key.startswith(("final_", "best_")):
                values = numpy.asarray([result[key] for result in finished], dtype=float)
                row[key], row[f"{key}_std"] = float(values.mean()), float(values.std())
        summary.append(row)
    return summary


def plot_sweep(results, param, title=None):
    """Draw a sweep's results (one dict per value and seed); returns the matplotlib Figure.

    Args:
        results: dicts with ``"value"``, ``"seed"`` and either ``"diverged"`` (a message)
            or ``final_train_loss``, ``best_train_loss``, ``final_test_accuracy``,
            ``best_test_accuracy``.
        param: the swept parameter's name, the x label (``"lr"``, ``"batch_size"``).
        title: an optional figure title.
    """
    if not results:
        raise ValueError("plot_sweep: results is empty")
    summary = sweep_summary(results)
    seeds = len({result["seed"] for result in results})
    with lecture_style():
        figure, axes = new_figure(1, 2, panel_size=(7.0, 5.0))
        for axis, (metric, label) in zip(axes, PANELS):
            rows = [row for row in summary if f"final_{metric}" in row]
            x = [row["value"] for row in rows]
            for index, (when, style) in enumerate((("final", "-"), ("best", "--"))):
                scale = 100 if metric == "test_accuracy" else 1
                mean = [row[f"{when}_{metric}"] * scale for row in rows]
                spread = [row[f"{when}_{metric}_std"] * scale for row in rows] \
                    if seeds > 1 else None
                axis.errorbar(x, mean, yerr=spread, color=color(index), linestyle=style,
                              marker="o" if when == "final" else "s", capsize=4,
                              label=f"{when}" + (f" (mean ± std of {seeds} seeds)"
                                                 if seeds > 1 else ""))
            top = blended_transform_factory(axis.transData, axis.transAxes)
            diverged = [row for row in summary if row["diverged"]]
            for row in diverged:
                axis.plot(row["value"], 0.94, transform=top, marker="X", markersize=13,
                          color=color(3), linestyle="none")
                if seeds > 1:
                    axis.text(row["value"], 0.86, f"{row['diverged']}/{row['runs']}",
                              transform=top, ha="center", va="top", color=color(3),
                              fontsize=12)
            if diverged:
                axis.plot([], [], marker="X", markersize=13, color=color(3), linestyle="none",
                          label="diverged")
            axis.set_xscale("log")
            axis.set_xlim(min(r["value"] for r in summary) / 1.5,
                          max(r["value"] for r in summary) * 1.5)
            log_scale(axis, "x")
            if metric == "train_loss" and rows:
                log_scale(axis)
                low, high = axis.get_ylim()
                axis.set_ylim(low, high * (high / low) ** 0.25)  # room for the crosses
            elif rows:
                low, _ = axis.get_ylim()
                axis.set_ylim(low, 100 + 0.3 * (100 - low))
                axis.set_yticks([tick for tick in axis.get_yticks() if low <= tick <= 100])
            axis.set(xlabel=param, ylabel=label, title=label.capitalize().replace(" (%)", ""))
        figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center",
                      ncols=3)
        if title:
            figure.suptitle(title)
    return figure


__all__ = ["plot_sweep", "sweep_summary"]
