"""``tinyopt lectures``: build the course's slide decks to self-contained HTML and PDF.

``tinyopt lectures build`` turns each Markdown deck of ``lectures/decks`` into
``NAME.html`` (reveal.js; opens from file:// with no network) and ``NAME.pdf``
(one slide per page), every figure drawn by tinyopt while it builds. Needs a
source checkout, ``npm ci --prefix lectures`` (reveal.js, KaTeX), node and
Chromium (Debian's ``chromium``) and the ``lectures`` extra (Playwright).
"""
from pathlib import Path

from ..lectures import DECKS, FIGURES, deck_names
from . import common

ACTIONS = ("build",)


def add_arguments(parser):
    """The ``lectures`` options."""
    parser.add_argument("action", choices=ACTIONS, help="what to do: build")
    parser.add_argument("--deck", choices=deck_names(), action="append", metavar="NAME",
                        help="a deck to build, repeatable: " + ", ".join(deck_names()) +
                             " (default: all)")
    parser.add_argument("--out", type=Path, default=Path("tinyopt-output/lectures"),
                        help="output folder (default tinyopt-output/lectures); a folder holding "
                             "an earlier build of a deck is refused unless --overwrite")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier build's files in --out")
    parser.add_argument("--fast", action="store_true",
                        help="draw the figures' short versions (CI)")
    parser.add_argument("--figures", type=Path, default=FIGURES, metavar="DIR",
                        help="folder of the figure scripts, NAME.py each defining "
                             "make(fast=False) (default lectures/figures)")


def check(args):
    """Usage errors: a deck given twice."""
    common.check_unique(args.deck or [], "deck")


def main(args):
    """Build each chosen deck; one line per deck with its slide count and build time."""
    from ..lectures import deck, figures
    from ..lectures.builder import build
    chosen = args.deck or deck_names()
    common.prepare_out(args, [f"{name}.{ext}" for name in chosen for ext in ("html", "pdf")])
    for name in chosen:  # every deck's figures exist, before the first one is built
        figures.check_available(deck.parse(DECKS / f"{name}.md").figures, args.figures, name)
    files = []
    for name in chosen:
        built = build(DECKS / f"{name}.md", args.out, fast=args.fast, figure_folder=args.figures)
        print(f"{name}: {built.slides} slides in {built.seconds:.1f} s")
        files += [built.html.name, built.pdf.name]
    common.report_written(args.out, files)
