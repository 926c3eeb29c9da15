"""Optimizer paths growing step by step, saved as a GIF with Pillow (no ffmpeg needed).

All paths share one panel over the landscape's contours, with the legend
below in as many columns as fit the width (six optimizers with long labels
take two or three rows, none is cut off); frame ``k`` shows every path up to
the same step, so faster optimizers visibly pull ahead.

The contours, axes and legend are drawn once; each frame restores that
picture and draws only the paths, their heads and the step counter over it
(what matplotlib calls blitting), so a frame costs a few lines, not a
contour map.

Example::

    >>> save_trajectory_gif(landscape, paths, "race.gif", frames=60, fps=15, width=10, dpi=80)
"""
from pathlib import Path

import numpy
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from .style import check_dpi, color, lecture_style, line_style, new_figure
from .surface import draw_contours

ROOM = 1.1
"""Inches above and below the panel for the title and the x axis."""
Y_AXIS_WIDTH = 0.8
"""Inches left of the panel for the y tick labels and the y label."""


def frame_steps(steps, frames):
    """The step shown in each frame: ``frames`` values from 0 to ``steps``, evenly spread."""
    if frames < 2:
        raise ValueError(f"frames must be >= 2, got {frames}")
    return numpy.unique(numpy.linspace(0, steps, min(frames, steps + 1)).round().astype(int))


def _legend_that_fits(figure, renderer, max_columns=3):
    """A legend below the panel in the most columns (at most ``max_columns``) whose width
    fits the figure's; returns its height in inches."""
    handles, labels = figure.axes[0].get_legend_handles_labels()
    for columns in range(min(max_columns, len(labels)), 0, -1):
        legend = figure.legend(handles, labels, loc="outside lower center", ncols=columns)
        box = legend.get_window_extent(renderer)
        if box.width <= 0.97 * figure.bbox.width or columns == 1:
            return box.height / figure.dpi
        legend.remove()
    return 0.0


def race_figure(landscape, paths, steps, width=8.0, dpi=70, resolution=150, title=None):
    """The animation's figure before its first frame: ``(figure, moving, counter)``.

    ``moving`` holds each path's line and head (empty, drawn per frame), ``counter``
    the step text; both are animated, so drawing the figure draws only what every
    frame shares. Call inside ``lecture_style()``.
    """
    (x_min, x_max), (y_min, y_max) = landscape.window
    # the axes are as wide as the figure less the y axis's labels; an equal-aspect panel
    # lower than that would grow past the room the layout gave it (and push out the title)
    panel_height = (width - Y_AXIS_WIDTH) * (y_max - y_min) / (x_max - x_min)
    figure, axis = new_figure(panel_size=(width, panel_height + ROOM))
    figure.set_dpi(dpi)
    canvas = FigureCanvasAgg(figure)
    draw_contours(axis, landscape, resolution)
    moving = []
    for index, label in enumerate(paths):
        moving.append(axis.plot([], [], color=color(index), linestyle=line_style(index),
                                label=label, zorder=3, animated=True)[0])
        moving.append(axis.plot([], [], marker="o", markersize=10, color=color(index),
                                markeredgecolor="black", zorder=5, animated=True)[0])
    axis.plot(*next(iter(paths.values()))[0], marker="o", markersize=10, color="white",
              markeredgecolor="black", zorder=4)
    axis.set_title(f"{landscape.title}: {steps} steps" if title is None else title)
    counter = axis.text(0.98, 0.03, "", transform=axis.transAxes, ha="right", va="bottom",
                        fontsize=15, zorder=7, animated=True,
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    legend_height = _legend_that_fits(figure, canvas.get_renderer())
    figure.set_size_inches(width, panel_height + ROOM + legend_height)
    return figure, moving, counter


def save_trajectory_gif(landscape, paths, path, frames=60, fps=15, dpi=70, resolution=150,
                        progress=None, width=8.0, title=None):
    """Animate ``paths`` (label -> points) over ``landscape`` into the GIF ``path``.

    Args:
        landscape: a ``tinyopt.landscapes.Landscape``.
        paths: dict of label -> array (steps + 1, 2), all of the same length.
        path: where to write the GIF.
        frames: at most this many frames (fewer when there are fewer steps), >= 2.
        fps: frames per second, > 0.
        dpi: dots per inch of each frame: the GIF is ``width * dpi`` pixels wide.
        resolution: contour grid points per side.
        progress: optional ``progress(frame, total)``, called after each frame is drawn.
        width: the frame's width in inches (> 0); the height follows from the
            landscape's window and the legend's rows.
        title: the panel's title (default: the landscape and the steps; '' for none).

    Returns the number of frames written.
    """
    lengths = {len(points) for points in paths.values()}
    if len(lengths) != 1:
        raise ValueError(f"every path must have the same number of points, got {sorted(lengths)}")
    check_dpi(dpi)
    for name, value in (("fps", fps), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name} must be a number > 0, got {value!r}")
    shown_steps = frame_steps(lengths.pop() - 1, frames)
    with lecture_style():
        figure, moving, counter = race_figure(landscape, paths, shown_steps[-1], width, dpi,
                                              resolution, title)
        axis, canvas = figure.axes[0], figure.canvas
        canvas.draw()  # the constrained layout, and the picture every frame starts from
        background = canvas.copy_from_bbox(figure.bbox)
        images = []
        for frame, step in enumerate(shown_steps):
            canvas.restore_region(background)
            for (line, head), points in zip(zip(moving[::2], moving[1::2]), paths.values()):
                line.set_data(points[:step + 1, 0], points[:step + 1, 1])
                head.set_data(points[step:step + 1, 0], points[step:step + 1, 1])
            counter.set_text(f"step {step}")
            for artist in moving + [counter]:
                axis.draw_artist(artist)
            images.append(Image.frombuffer("RGBA", canvas.get_width_height(),
                                           bytes(canvas.buffer_rgba()), "raw", "RGBA", 0, 1))
            if progress is not None:
                progress(frame, len(shown_steps))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:],
                   duration=int(1000 / fps), loop=0)
    return len(shown_steps)


__all__ = ["save_trajectory_gif", "frame_steps", "race_figure"]
