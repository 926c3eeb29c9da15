"""The learning-rate range test as a lecture figure: raw and smoothed loss, the suggestion marked.

Example::

    >>> finder = LRFinder(model, optimizer, nn.CrossEntropyLoss())
    >>> finder.range_test(loader, start_lr=1e-5, end_lr=10, num_iter=100)
    >>> figure = plot_lr_finder(finder)
"""
import numpy

from .style import color, lecture_style, new_figure


def plot_lr_finder(finder, skip_start=10, skip_end=5, title="Learning-rate range test"):
    """Draw ``finder``'s range test (after ``range_test``); returns the matplotlib Figure.

    The raw losses are faint, the smoothed ones bold; the suggested rate
    (steepest descent of the smoothed loss against log lr) gets a dashed line
    and a dot, with its value in the legend. ``skip_start``/``skip_end`` as in
    ``LRFinder.suggestion``; ``title`` heads the plot.
    """
    lrs = numpy.asarray(finder.history["lr"])
    smoothed = numpy.asarray(finder.history["loss"])
    raw = numpy.asarray(finder.raw_losses[:len(lrs)])
    suggestion = finder.suggestion(skip_start, skip_end)
    with lecture_style():
        figure, axis = new_figure(panel_size=(8.5, 5.2))
        axis.plot(lrs, raw, color=color(5), linewidth=1, alpha=0.6, label="loss per batch")
        axis.plot(lrs, smoothed, color=color(0), label="smoothed loss")
        at = int(numpy.argmin(numpy.abs(lrs - suggestion)))
        axis.axvline(suggestion, color=color(3), linestyle="--", linewidth=1.8)
        axis.plot(suggestion, smoothed[at], marker="o", markersize=11, color=color(3),
                  markeredgecolor="black", linestyle="none",
                  label=f"suggestion: lr = {suggestion:.2g}")
        # the whole of both curves up to three times the starting loss (the blow-up is cut)
        finite = numpy.concatenate([smoothed, raw])
        finite = finite[numpy.isfinite(finite)]
        top = min(float(numpy.max(finite)), 3 * float(smoothed[0]))
        axis.set_ylim(max(0.0, float(numpy.min(finite)) * 0.9), top * 1.05)
        axis.set_xscale("log")
        axis.set_xlabel("learning rate (log scale)")
        axis.set_ylabel("training loss")
        axis.set_title(title)
        axis.legend(loc="upper left")
    return figure


__all__ = ["plot_lr_finder"]
