"""The course's slide decks, built from Markdown with figures drawn by tinyopt.

    deck.py      the Markdown source format, split into slides
    markup.py    slide Markdown to HTML: KaTeX math, Pygments code, figure images
    figures.py   the figure scripts of lectures/figures, drawn and embedded as PNG
    assets.py    reveal.js, KaTeX CSS and fonts from lectures/node_modules, inlined
    page.py      a deck as one self-contained reveal.js page (16:9)
    browser.py   headless Chromium (Playwright): the PDF, one slide per page
    builder.py   all of it for one deck: ``build(source, out, fast)``
    sources.py   where the decks and figure scripts are

``from tinyopt.lectures.builder import build`` builds a deck (it needs the ``lectures`` extra);
this package itself imports only the standard library.

``tinyopt lectures build`` is the command line; lectures/README.md tells why it is made so.
"""
from .sources import DECKS, FIGURES, LECTURES, deck_names

__all__ = ["deck_names", "DECKS", "FIGURES", "LECTURES"]
