"""A results table as an image, for slides and READMEs where Markdown does not render.

Example::

    >>> figure = plot_table(["recipe", "accuracy"], [["adam", "97.2 %"], ["sgd", "93.1 %"]])
"""
from .style import color, lecture_style, new_figure


def plot_table(columns, rows, title=None, best_row=None):
    """Draw ``rows`` (lists of strings) under the header ``columns``; returns the Figure.

    ``best_row`` (an index) is shaded, to point at the winner.
    """
    if not rows or any(len(row) != len(columns) for row in rows):
        raise ValueError(f"need at least one row, each with {len(columns)} cells")
    width = max(6.0, 1.05 * sum(max(len(str(cell)) for cell in column) * 0.13 + 0.5
                                for column in zip(columns, *rows)))
    with lecture_style():
        figure, axis = new_figure(panel_size=(width, 0.55 * (len(rows) + 1) + (0.7 if title else
                                                                              0.2)))
        axis.axis("off")
        table = axis.table(cellText=[[str(cell) for cell in row] for row in rows],
                           colLabels=list(columns), loc="center", cellLoc="left")
        table.auto_set_font_size(False)
        table.set_fontsize(14)
        table.scale(1.0, 1.9)
        table.auto_set_column_width(list(range(len(columns))))
        for (row, _), cell in table.get_celld().items():
            cell.set_edgecolor("#BBBBBB")
            if row == 0:
                cell.set_text_props(weight="bold", color="white")
                cell.set_facecolor(color(0))
            elif best_row is not None and row == best_row + 1:
                cell.set_facecolor("#E8F4EC")
        if title:
            axis.set_title(title)
    return figure


__all__ = ["plot_table"]
