"""Lecture figures: optimizer paths, animations, surfaces, schedules, training curves, tables.

Every function returns a matplotlib ``Figure`` drawn in the lecture style
(``style``: large fonts, the Okabe-Ito colour-blind-safe palette); write it
with ``save_figure(figure, "name.png", formats=("png", "svg", "pdf"))``,
which keeps the files byte-stable from run to run. One idea per file:

    style.py         the rcParams, the palette, save_figure
    surface.py       contours and 3-D surfaces of a landscape
    trajectories.py  optimizer paths over contours, side by side or overlaid
    animation.py     the paths growing step by step, as a GIF (Pillow, no ffmpeg)
    schedules.py     learning-rate schedules over the steps, warmup shaded
    curves.py        fit() histories: loss, lr, gradient and weight norms; runs compared
    layers.py        per-layer update ratios, norms and effective rates (fit's Recorder)
    lr_finder.py     the range test and its suggestion
    sweeps.py        a hyper-parameter sweep: final and best metric against the value
    table.py         a results table as an image
"""
from .animation import save_trajectory_gif
from .curves import plot_comparison, plot_training_curves, smooth
from .layers import plot_layer_dynamics
from .lr_finder import plot_lr_finder
from .schedules import plot_schedules, schedule_values
from .style import (LINE_STYLES, OKABE_ITO, LectureFigure, artists_outside, lecture_style,
                    new_figure, save_figure)
from .sweeps import plot_sweep
from .surface import draw_contours, plot_surface
from .table import plot_table
from .trajectories import draw_path, plot_trajectories

__all__ = ["save_trajectory_gif", "plot_comparison", "plot_training_curves", "smooth",
           "plot_layer_dynamics", "plot_lr_finder", "plot_schedules", "schedule_values",
           "LINE_STYLES", "OKABE_ITO", "LectureFigure", "artists_outside", "lecture_style",
           "new_figure", "save_figure", "draw_contours", "plot_surface", "plot_table",
           "plot_sweep", "draw_path", "plot_trajectories"]
