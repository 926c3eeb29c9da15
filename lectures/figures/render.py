"""Render the deck figures: ``python lectures/figures/render.py [--fast] [--format png svg]``.

Every ``*.py`` here but this one and the ``_*.py`` helpers (shared models, data, the
deck's own optimizer variants) defines ``make(fast=False)`` returning a Figure; each is
written next to its script (``momentum_vs_sgd.png``, ...). ``--fast`` is for CI: short runs.
"""
import argparse
import importlib.util
import sys
from pathlib import Path

from tinyopt.viz import save_figure

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # the scripts import the _*.py helpers beside them


def scripts():
    """The figure scripts, by name."""
    return sorted(path for path in HERE.glob("*.py")
                  if path.name != "render.py" and not path.name.startswith("_"))


def load(path):
    """The figure script at ``path`` as a module."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
