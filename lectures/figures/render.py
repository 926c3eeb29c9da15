"""Render the deck figures: ``python lectures/figures/render.py [--fast] [--format png svg]``.

Every ``*.py`` here but this one and the ``_*.py`` helpers (shared models, data, the
deck's own optimizer variants) defines ``make(fast=False)`` returning a Figure; each is
written next to its script (``momentum_vs_sgd.png``, ...). ``--fast`` is for CI: short runs.
"""
import argparse
from pathlib import Path

from tinyopt.lectures.figures import available, load
from tinyopt.viz import save_figure

HERE = Path(__file__).resolve().parent


def scripts():
    """The figure scripts, by name (the decks' builder finds them the same way)."""
    return list(available(HERE).values())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fast", action="store_true", help="short runs (CI)")
    parser.add_argument("--format", nargs="+", default=["png"], help="png, svg, pdf")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    args = parser.parse_args(argv)
    for path in scripts():
        written = save_figure(load(path).make(fast=args.fast), args.out / path.stem, args.format)
        print(", ".join(str(file) for file in written))


if __name__ == "__main__":
    main()
