"""The lecture style: byte-stable files in every format, palette, plain log ticks."""
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from tinyopt.viz import style


def _figure():
    with style.lecture_style():
        figure, axis = style.new_figure()
        axis.plot([1, 2, 3], [0.9, 0.3, 0.15], label="loss")
        axis.set_title("a title")
        axis.legend()
    return figure


def test_the_same_figure_is_the_same_file_twice_in_every_format(tmp_path):
    first = style.save_figure(_figure(), tmp_path / "a" / "plot.png", style.FORMATS)
    second = style.save_figure(_figure(), tmp_path / "b" / "plot.png", style.FORMATS)
    assert [path.name for path in first] == ["plot.png", "plot.svg", "plot.pdf"]
    for one, two in zip(first, second):
        assert one.read_bytes() == two.read_bytes(), one.name


def test_svg_and_pdf_carry_no_date(tmp_path):
    svg, pdf = style.save_figure(_figure(), tmp_path / "plot", ("svg", "pdf"))
    assert "<dc:date>" not in svg.read_text()
    assert b"/CreationDate" not in pdf.read_bytes()


def test_an_unknown_format_lists_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match="unknown format 'gif' .*png, svg, pdf"):
        style.save_figure(_figure(), tmp_path / "plot", ("gif",))


def test_the_palette_is_okabe_ito_and_wraps_around():
    assert style.color(0) == "#0072B2" and style.color(len(style.OKABE_ITO)) == "#0072B2"
    assert len(set(style.OKABE_ITO)) == 8
    assert style.line_style(0) != style.line_style(1)


def test_lecture_fonts_are_large_only_inside_the_style():
    import matplotlib
    with style.lecture_style():
        assert matplotlib.rcParams["font.size"] >= 14
    assert matplotlib.rcParams["font.size"] < 14


def test_log_scale_labels_ticks_as_plain_numbers():
    with style.lecture_style():
        figure, axis = style.new_figure()
        axis.plot([1, 2], [0.15, 0.8])
        style.log_scale(axis)
    FigureCanvasAgg(figure).draw()
    labels = [tick.get_text() for tick in axis.get_yticklabels() if tick.get_text()]
    assert axis.get_yscale() == "log"
    assert {"0.2", "0.3", "0.5"} <= set(labels)
