"""A tinyopt figure shows itself in Jupyter as the last expression of a cell, with or without
``%matplotlib inline``, and only once."""
import io

import pytest
from PIL import Image

from tinyopt.viz import LectureFigure, plot_schedules, plot_surface
from tinyopt.viz.style import new_figure

SCHEDULE = {"halving": [0.1 / 2 ** (step // 10) for step in range(40)]}


def test_every_figure_is_a_lecture_figure_that_renders_itself_as_png():
    from tinyopt import landscapes
    for figure in (plot_schedules(SCHEDULE, 40), plot_surface(landscapes.get("booth"), 20),
                   new_figure()[0]):
        assert isinstance(figure, LectureFigure)
    png = plot_schedules(SCHEDULE, 40)._repr_png_()
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (900, 500)  # 9 x 5 inches at 100 dpi


def test_ipython_formats_the_figure_as_png_without_the_inline_backend():
    formatters = pytest.importorskip("IPython.core.formatters")
    png = formatters.PNGFormatter()(plot_schedules(SCHEDULE, 40))
    assert png is not None and png.startswith(b"\x89PNG")


NOTEBOOK_CELLS = [
    "from tinyopt.viz import plot_schedules\n"
    "plot_schedules({'halving': [0.1 / 2 ** (s // 10) for s in range(40)]}, 40)",
    "%matplotlib inline\n"
    "plot_schedules({'halving': [0.1 / 2 ** (s // 10) for s in range(40)]}, 40)",
]


def test_a_kernel_shows_the_figure_once_with_and_without_matplotlib_inline():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS])
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    for cell in notebook.cells:
        images = [output for output in cell.outputs if "image/png" in output.get("data", {})]
        assert len(images) == 1, cell.outputs
