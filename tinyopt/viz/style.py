"""The lecture style: large fonts, the Okabe-Ito colour-blind-safe palette, byte-stable files.

Every plot in ``tinyopt.viz`` draws inside ``lecture_style()`` and is written
with ``save_figure``, so slides look alike and a figure made twice from the
same seed is the same file twice (PNG always; SVG and PDF too, because the
SVG id salt and the PDF/SVG dates are fixed).

Example::

    >>> with lecture_style():
    ...     figure, axis = new_figure()
    ...     axis.plot([0, 1], [1, 0])
    >>> save_figure(figure, "line", formats=("png", "svg"))   # line.png, line.svg
"""
import contextlib
import io
import math
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")
"""Okabe & Ito's palette (blue, orange, green, vermillion, purple, sky blue, yellow, black),
readable with every common colour-vision deficiency."""
LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1, 1, 1, 1, 1)))
"""Dash patterns that tell lines apart without colour (in print, on a projector)."""
FORMATS = ("png", "svg", "pdf")

LECTURE_RC = {
    "font.size": 15, "axes.titlesize": 17, "axes.labelsize": 16, "legend.fontsize": 13,
    "xtick.labelsize": 13, "ytick.labelsize": 13, "figure.titlesize": 19,
    "lines.linewidth": 2.2, "lines.markersize": 7, "axes.linewidth": 1.1,
    "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
    "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.8,
    "legend.frameon": False, "figure.dpi": 100, "savefig.dpi": 100,
    "savefig.bbox": "standard", "image.cmap": "viridis",
    "svg.hashsalt": "tinyopt", "svg.fonttype": "path", "pdf.fonttype": 42,
    "animation.embed_limit": 50,
}
"""The rcParams of the lecture style."""

_STABLE_METADATA = {"png": {"Software": "tinyopt"},
                    "svg": {"Date": None, "Creator": "tinyopt"},
                    "pdf": {"CreationDate": None, "ModDate": None, "Producer": "tinyopt",
                            "Creator": "tinyopt"}}


@contextlib.contextmanager
def lecture_style(**overrides):
    """Draw with the lecture style (plus any rcParams ``overrides``) inside a ``with`` block."""
    with matplotlib.rc_context({**LECTURE_RC, **overrides}):
        yield


def color(index):
    """The ``index``-th colour of the palette (wrapping around)."""
    return OKABE_ITO[index % len(OKABE_ITO)]


def line_style(index):
    """The ``index``-th dash pattern (wrapping around)."""
    return LINE_STYLES[index % len(LINE_STYLES)]


def log_scale(axis, which="y"):
    """Put ``axis``'s ``which`` axis ("x" or "y") on a log scale with plain tick labels
    (``0.2``, not ``2 x 10^-1``); call it after plotting.

    The labels thin out with the data's range: 1, 2, 3 and 5 of every decade over less
    than 1.5 decades, 1, 2 and 5 over less than 3, the powers of ten beyond.
    """
    getattr(axis, f"set_{which}scale")("log")
    low, high = getattr(axis, f"get_{which}lim")()
    decades = math.log10(high / low)
    subs = (1.0, 2.0, 3.0, 5.0) if decades < 1.5 else (1.0, 2.0, 5.0) if decades < 3 else (1.0,)
    ticks = getattr(axis, f"{which}axis")
    ticks.set_major_locator(LogLocator(subs=subs))
    ticks.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ticks.set_minor_formatter(NullFormatter())


class LectureFigure(Figure):
    """A ``Figure`` that shows itself in Jupyter, with or without ``%matplotlib inline``.

    tinyopt's figures are not registered with pyplot (they need no display and no
    ``plt.close``), so IPython's matplotlib hook, which ``%matplotlib inline`` installs,
    is the only thing that would render them. ``_repr_png_`` is IPython's ordinary
    protocol for any object that can draw itself: the last expression of a cell
    then shows the figure as a PNG. When the inline backend is active its own
    printer for ``Figure`` takes precedence, so the figure is shown once either way.
    """

    def _repr_png_(self):
        """The figure as PNG bytes, drawn the way ``save_figure`` writes it."""
        buffer = io.BytesIO()
        with lecture_style():
            self.savefig(buffer, format="png", metadata=_STABLE_METADATA["png"])
        return buffer.getvalue()


def new_figure(rows=1, columns=1, panel_size=(6.4, 4.6), **subplot_kwargs):
    """A ``LectureFigure`` and its axes, sized per panel.

    The figure is not registered with pyplot: it needs no display and no
    ``plt.close``, and a notebook shows it by evaluating it.
    """
    figure = LectureFigure(figsize=(panel_size[0] * columns, panel_size[1] * rows),
                           layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=True, **subplot_kwargs)
    return figure, axes


def artists_outside(figure, tolerance=1.0):
    """The visible texts and legends of ``figure`` that reach outside it (clipped when saved).

    Draws ``figure`` (with Agg) and checks the figure's texts (the suptitle, ...) and
    legends and, per visible axes, its title, its axes with their tick labels and axis
    labels, its legend and texts: only what is drawn, so tick labels beyond the view
    limits do not count. Returns one line per piece that sticks out, e.g.
    ``"title 'Loss' 12.0 px above the top"``; empty when everything fits. ``tolerance``
    is in pixels.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(figure)
    renderer = figure.canvas.get_renderer()
    figure.draw(renderer)
    pieces = [(f"figure text {text.get_text()!r}", text) for text in figure.texts]
    pieces += [("figure legend", legend) for legend in figure.legends]
    for axes in figure.axes:
        if not axes.get_visible():
            continue
        drawn_axes = axes.axison  # a table's axes are switched off
        name = repr(axes.get_title() or f"axes {figure.axes.index(axes)}")
        pieces += [(f"title {name}", axes.title)]
        pieces += [(f"{which} axis of {name}", getattr(axes, f"{which}axis"))
                   for which in ("x", "y", "z") if drawn_axes and hasattr(axes, f"{which}axis")]
        pieces += [(f"legend of {name}", axes.get_legend())] if axes.get_legend() else []
        pieces += [(f"text {text.get_text()!r} of {name}", text) for text in axes.texts]
    width, height = figure.bbox.width, figure.bbox.height
    problems = []
    for name, artist in pieces:
        if not artist.get_visible() or (hasattr(artist, "get_text") and not artist.get_text()):
            continue
        box = artist.get_tightbbox(renderer) if hasattr(artist, "get_ticklabels") \
            else artist.get_window_extent(renderer)
        if box is None:
            continue
        for amount, where in ((-box.x0, "left of the left edge"),
                              (box.x1 - width, "right of the right edge"),
                              (-box.y0, "below the bottom"), (box.y1 - height, "above the top")):
            if amount > tolerance:
                problems.append(f"{name} {amount:.1f} px {where}")
    return problems


def check_size(size, name="size"):
    """``size`` as a ``(width, height)`` pair of finite inches > 0; ``ValueError`` naming
    ``name`` otherwise."""
    try:
        width, height = (float(value) for value in size)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be (width, height) in inches, got {size!r}") from None
    if not (0 < width < math.inf and 0 < height < math.inf):
        raise ValueError(f"{name} must be two finite numbers > 0 (inches), got {size!r}")
    return width, height


def check_dpi(dpi, name="dpi"):
    """``dpi`` if it is a finite number > 0 (or None: the style's 100); ``ValueError``
    naming ``name`` otherwise."""
    if dpi is not None and (isinstance(dpi, bool) or not isinstance(dpi, (int, float))
                            or not 0 < dpi < math.inf):
        raise ValueError(f"{name} must be a number > 0 (dots per inch), got {dpi!r}")
    return dpi


def save_figure(figure, path, formats=("png",), dpi=None, size=None):
    """Write ``figure`` to ``path`` once per format; returns the written paths.

    ``path``'s own suffix is replaced by each format's (``"out/loss.png"`` and
    ``formats=("png", "pdf")`` give ``out/loss.png`` and ``out/loss.pdf``).
    ``dpi`` sets the resolution of PNGs (default 100: a 12-inch figure is 1200
    pixels wide); ``size`` = ``(width, height)`` in inches resizes the figure first
    (its aspect with it): the constrained layout arranges the panels anew, and the
    fonts keep their point sizes, so a smaller figure has relatively larger text.
    Metadata that would change from run to run (dates, versions) is fixed.
    """
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format {unknown[0]!r} (choose from {', '.join(FORMATS)})")
    check_dpi(dpi)
    if size is not None:
        figure.set_size_inches(*check_size(size))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    with lecture_style():
        for fmt in formats:
            target = path.with_suffix(f".{fmt}")
            figure.savefig(target, format=fmt, dpi=dpi, metadata=_STABLE_METADATA[fmt])
            written.append(target)
    return written


__all__ = ["OKABE_ITO", "LINE_STYLES", "FORMATS", "LECTURE_RC", "lecture_style", "color",
           "line_style", "log_scale", "LectureFigure", "new_figure", "check_size", "check_dpi",
           "save_figure", "artists_outside"]
