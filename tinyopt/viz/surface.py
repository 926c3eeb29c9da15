"""A landscape as filled contours (the background of every trajectory plot) or a 3-D surface.

Steep landscapes (``landscape.log_levels``: Rosenbrock, Beale, Himmelblau,
the monkey saddle) get contour levels spaced on a log scale above their
minimum, so the valley floor is as visible as the walls.

Example::

    >>> from tinyopt import landscapes
    >>> figure = plot_surface(landscapes.get("saddle"))
    >>> save_figure(figure, "saddle.png")
"""
import numpy
from matplotlib.colors import LinearSegmentedColormap, LogNorm

from .style import LectureFigure, lecture_style

CONTOUR_MAP = LinearSegmentedColormap.from_list("valleys", ["#FFFFFF", "#6E6E6E"])
"""White valleys rising to grey walls: the coloured paths, which run in the valleys, keep
all the contrast."""
SURFACE_MAP = "viridis"


def draw_contours(axis, landscape, resolution=200, levels=30, show_minima=True):
    """Fill ``axis`` with the contours of ``landscape`` over its window and mark its minima."""
    X, Y, Z = landscape.grid(resolution)
    if landscape.log_levels:
        Z = Z - min(landscape.min_value(), float(Z.min()))  # height above the minimum, >= 0
        lowest = max(float(numpy.percentile(Z, 0.5)), 1e-3)
        level_values = numpy.geomspace(lowest, float(Z.max()), levels)
        norm, extend = LogNorm(level_values[0], level_values[-1]), "min"
    else:
        level_values = numpy.linspace(float(Z.min()), float(Z.max()), levels)
        norm, extend = None, "neither"
    axis.contourf(X, Y, Z, levels=level_values, cmap=CONTOUR_MAP, norm=norm, extend=extend,
                  alpha=0.85)
    axis.contour(X, Y, Z, levels=level_values, colors="black", linewidths=0.4, alpha=0.25)
    if show_minima:
        minima = numpy.asarray(landscape.minima)
        axis.plot(minima[:, 0], minima[:, 1], linestyle="none", marker="*", markersize=17,
                  color="#F0E442", markeredgecolor="black", markeredgewidth=1.0,
                  label="minimum", zorder=5)
    (x_min, x_max), (y_min, y_max) = landscape.window
    axis.set_xlim(x_min, x_max)
    axis.set_ylim(y_min, y_max)
    axis.set_aspect("equal")  # true shapes: a ravine looks as narrow as it is
    axis.set_xlabel("$x$")
    axis.set_ylabel("$y$")
    axis.grid(False)
    return axis


def plot_surface(landscape, resolution=120, view=None):
    """A 3-D surface of ``landscape`` over its window, its contours projected below; the Figure.

    Steep landscapes are drawn as ``log(1 + f - f_min)`` so the valley stays visible
    (the z label says so). ``view`` is ``(elevation, azimuth)`` in degrees, by default
    the landscape's own.
    """
    X, Y, Z = landscape.grid(resolution)
    label = "$f(x, y)$"
    if landscape.log_levels:
        Z = numpy.log1p(Z - min(landscape.min_value(), float(Z.min())))
        label = r"$\log(1 + f - f_{min})$"
    low, high = float(Z.min()), float(Z.max())
    floor = low - 0.35 * (high - low)  # the contour map lies below, clear of the surface
    with lecture_style():
        figure = LectureFigure(figsize=(8.0, 6.5), layout="constrained")
        axis = figure.add_subplot(projection="3d")
        axis.plot_surface(X, Y, Z, cmap=SURFACE_MAP, linewidth=0, antialiased=False,
                          rcount=resolution, ccount=resolution)
        axis.contour(X, Y, Z, levels=15, zdir="z", offset=floor, cmap=SURFACE_MAP,
                     linewidths=1.0)
        axis.set_zlim(floor, high)
        margin = 0.01 * (high - low)
        axis.set_zticks([tick for tick in axis.get_zticks()
                         if low - margin <= tick <= high + margin])
        axis.view_init(*(view or landscape.view))
        axis.set_xlabel("$x$", labelpad=10)
        axis.set_ylabel("$y$", labelpad=10)
        axis.set_zlabel(label, labelpad=12)
        axis.set_title(f"{landscape.title}: {landscape.formula}", pad=8)
    return figure


__all__ = ["draw_contours", "plot_surface", "CONTOUR_MAP"]
