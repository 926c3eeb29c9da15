"""Build one deck: Markdown source -> figures drawn by tinyopt -> HTML page -> PDF.

Everything that can be missing (a figure script, node, the npm assets, Chromium) is checked
before the first figure is drawn, so a build fails in a second with the reason, not after
minutes; the HTML and PDF are written only once all of it has worked.
"""
import time
from dataclasses import dataclass
from pathlib import Path

from . import assets, browser, deck, figures, page
from .sources import FIGURES, LECTURES


@dataclass
class Built:
    """A built deck: its files, slide count and build time in seconds."""
    name: str
    html: Path
    pdf: Path
    slides: int
    seconds: float


def build(source, out, fast=False, figure_folder=FIGURES, lectures=LECTURES, browser_context=None):
    """Build the deck in Markdown file ``source`` into ``out/NAME.html`` and ``out/NAME.pdf``.

    ``fast`` draws the figures' short versions (CI); ``figure_folder`` holds the figure scripts;
    ``browser_context``, a ``browser.chromium_context()``, prints the PDF (a fresh one if None).
    """
    started = time.perf_counter()
    parsed = deck.parse(source)
    figures.check_available(parsed.figures, figure_folder, parsed.name)
    node = assets.node()
    styles, scripts = assets.stylesheets(lectures), assets.scripts(lectures)
    if browser.find_chromium() is None:
        raise FileNotFoundError("no Chromium found to print the PDF (install Debian's chromium, "
                                "or set TINYOPT_CHROMIUM to its path)")
    urls = figures.data_urls(parsed.figures, figure_folder, fast)
    document = page.render(parsed, urls, styles, scripts,
                           lambda batch: batch.render(node, Path(lectures) / assets.MATH_SCRIPT))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    html_path, pdf_path = out / f"{parsed.name}.html", out / f"{parsed.name}.pdf"
    html_path.write_text(document, encoding="utf-8")
    browser.print_pdf(html_path, pdf_path, browser_context)
    return Built(parsed.name, html_path, pdf_path, len(parsed.slides),
                 time.perf_counter() - started)
