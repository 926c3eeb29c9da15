"""Optimizer paths over a landscape's contours: side by side (one panel each) or overlaid.

``paths`` is a dict from a label (``"adam lr=0.05"``) to the array of
visited points that ``tinyopt.landscapes.trajectory`` returns. All paths
start from the same point (white circle); each ends at a cross in its
colour, and each panel's title, in the path's colour, gives the final loss.
Side by side, a spare panel in the last row shows all paths together.

Example::

    >>> from tinyopt import landscapes, optim
    >>> ravine = landscapes.get("ravine")
    >>> paths = {"SGD": landscapes.trajectory(ravine, lambda p: optim.SGD(p, lr=0.09),
    ...                                       ravine.starts[0], 100),
    ...          "momentum": landscapes.trajectory(
    ...              ravine, lambda p: optim.SGD(p, lr=0.09, momentum=0.9), ravine.starts[0], 100)}
    >>> figure = plot_trajectories(ravine, paths)
"""
import math

import numpy

from .style import color, lecture_style, line_style, new_figure
from .surface import draw_contours


def draw_path(axis, path, index, label=None, marker_every=None):
    """Draw one path on ``axis`` in the ``index``-th colour; start ○ and end ✕ marked."""
    path = numpy.asarray(path)
    marker_every = marker_every or max(1, len(path) // 25)
    axis.plot(path[:, 0], path[:, 1], color=color(index), linestyle=line_style(index),
              marker="o", markersize=3.5, markevery=marker_every, label=label, zorder=3)
    axis.plot(*path[0], marker="o", markersize=10, color="white", markeredgecolor="black",
              zorder=4)
    axis.plot(*path[-1], marker="X", markersize=12, color=color(index), markeredgecolor="black",
              zorder=6)


def panel_size(landscape, width, room=2.0):
    """``(width, height)`` in inches of a panel that shows ``landscape``'s window to scale,
    with ``room`` inches for the titles, the tick labels and the axis label."""
    (x_min, x_max), (y_min, y_max) = landscape.window
    return width, 0.8 * width * (y_max - y_min) / (x_max - x_min) + room


def final_value(landscape, path):
    """``f`` at the last point of ``path``."""
    return landscape.value_and_grad(path[-1])[0]


def plot_trajectories(landscape, paths, overlay=False, columns=3, resolution=200, title=None):
    """Draw every path of ``paths`` (label -> points) over ``landscape``'s contours.

    Args:
        landscape: a ``tinyopt.landscapes.Landscape``.
        paths: dict of label -> array (steps + 1, 2).
        overlay: all paths in one panel with a legend beside it, instead of one panel each.
        columns: panels per row when side by side.
        resolution: contour grid points per side.
        title: the figure's title (default: the landscape, its formula, the steps and the
            start; '' for none).

    Returns the matplotlib Figure.
    """
    if not paths:
        raise ValueError("paths is empty: give at least one label -> path")
    steps = max(len(path) for path in paths.values()) - 1
    start = ", ".join(f"{value:g}" for value in next(iter(paths.values()))[0])
    with lecture_style():
        if overlay:
            width, height = panel_size(landscape, 7.0, room=1.2)  # a one-line title
            figure, axis = new_figure(panel_size=(width + 4.0, height))
            _draw_all(axis, landscape, paths, resolution)
            # a figure legend: constrained layout makes room for it, an axes legend it clips
            figure.legend(*axis.get_legend_handles_labels(), loc="outside right upper")
            axis.set_title(f"{landscape.title}: {steps} steps from ({start})"
                           if title is None else title)
            return figure
        columns = min(columns, len(paths))
        rows = math.ceil(len(paths) / columns)
        figure, axes = new_figure(rows, columns, panel_size=panel_size(landscape, 5.6),
                                  sharex=True, sharey=True)
        axes = numpy.atleast_1d(axes).ravel()
        for index, (axis, (label, path)) in enumerate(zip(axes, paths.items())):
            draw_contours(axis, landscape, resolution)
            draw_path(axis, path, index)
            axis.set_title(f"{label}\nf = {final_value(landscape, path):.3g}", color=color(index),
                           fontweight="bold", fontsize=15)
        spare = axes[len(paths):]
        if len(spare) and len(paths) > 1:
            _draw_all(spare[0], landscape, paths, resolution)
            spare[0].set_title("all together", fontsize=15)
            spare = spare[1:]
        for axis in spare:
            axis.set_visible(False)
        for axis in axes:
            axis.label_outer()
        # in a single column, the formula and the steps take a line each
        separator = ",\n" if columns < 2 else ", "
        if title is None:
            title = f"{landscape.title}: {landscape.formula}{separator}{steps} steps from " \
                    f"({start})"
        if title:
            figure.suptitle(title)
    return figure


def _draw_all(axis, landscape, paths, resolution):
    """Every path on one ``axis``, each labelled with its final value."""
    draw_contours(axis, landscape, resolution)
    for index, (label, path) in enumerate(paths.items()):
        draw_path(axis, path, index, f"{label}  (f = {final_value(landscape, path):.3g})")


__all__ = ["plot_trajectories", "draw_path", "final_value", "panel_size"]
