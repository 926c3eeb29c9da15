"""Optimizer paths growing step by step, saved as a GIF with Pillow (no ffmpeg needed).

All paths share one panel over the landscape's contours, with the legend
below; frame ``k`` shows every path up to the same step, so faster
optimizers visibly pull ahead.

Example::

    >>> save_trajectory_gif(landscape, paths, "race.gif", frames=60, fps=15)
"""
import math
from pathlib import Path

import numpy
from matplotlib.animation import FuncAnimation, PillowWriter

from .style import color, lecture_style, line_style, new_figure
from .surface import draw_contours


def frame_steps(steps, frames):
    """The step shown in each frame: ``frames`` values from 0 to ``steps``, evenly spread."""
    if frames < 2:
        raise ValueError(f"frames must be >= 2, got {frames}")
    return numpy.unique(numpy.linspace(0, steps, min(frames, steps + 1)).round().astype(int))


def save_trajectory_gif(landscape, paths, path, frames=60, fps=15, dpi=70, resolution=150,
                        progress=None):
    """Animate ``paths`` (label -> points) over ``landscape`` into the GIF ``path``.

    Args:
        landscape: a ``tinyopt.landscapes.Landscape``.
        paths: dict of label -> array (steps + 1, 2), all of the same length.
        path: where to write the GIF.
        frames: at most this many frames (fewer when there are fewer steps), >= 2.
        fps: frames per second.
        dpi: resolution of each frame (the figure is 8 inches wide).
        resolution: contour grid points per side.
        progress: optional ``progress(frame, total)``, called after each frame is drawn.

    Returns the number of frames written.
    """
    lengths = {len(points) for points in paths.values()}
    if len(lengths) != 1:
        raise ValueError(f"every path must have the same number of points, got {sorted(lengths)}")
    shown_steps = frame_steps(lengths.pop() - 1, frames)
    with lecture_style():
        (x_min, x_max), (y_min, y_max) = landscape.window
        legend_rows = math.ceil(len(paths) / 3)
        height = 6.0 * (y_max - y_min) / (x_max - x_min) + 1.3 + 0.5 * legend_rows
        figure, axis = new_figure(panel_size=(8.0, height))
        draw_contours(axis, landscape, resolution)
        lines, heads = [], []
        for index, (label, points) in enumerate(paths.items()):
            lines.append(axis.plot([], [], color=color(index), linestyle=line_style(index),
                                   label=label, zorder=3)[0])
            heads.append(axis.plot([], [], marker="o", markersize=10, color=color(index),
                                   markeredgecolor="black", zorder=5)[0])
        axis.plot(*next(iter(paths.values()))[0], marker="o", markersize=10, color="white",
                  markeredgecolor="black", zorder=4)
        figure.legend(loc="outside lower center", ncols=min(len(paths), 3))
        title = axis.set_title("")

        def draw_frame(frame):
            """Show every path up to the frame's step."""
            step = shown_steps[frame]
            for line, head, points in zip(lines, heads, paths.values()):
                line.set_data(points[:step + 1, 0], points[:step + 1, 1])
                head.set_data(points[step:step + 1, 0], points[step:step + 1, 1])
            title.set_text(f"{landscape.title}: step {step}")
            return lines + heads + [title]

        animation = FuncAnimation(figure, draw_frame, frames=len(shown_steps), blit=False)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        animation.save(path, writer=PillowWriter(fps=fps), dpi=dpi, progress_callback=progress)
    return len(shown_steps)


__all__ = ["save_trajectory_gif", "frame_steps"]
