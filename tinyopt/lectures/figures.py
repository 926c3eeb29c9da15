"""The decks' figures: each is a script ``NAME.py`` in the figures folder (``lectures/figures``)
whose ``make(fast=False)`` returns a matplotlib Figure, drawn at build time and embedded as PNG.
"""
import base64
import importlib.util
import sys
import tempfile
from pathlib import Path

from ..viz import save_figure

DPI = 150
"""Pixels per inch of the embedded PNGs: a 10-inch-wide figure is 1500 px, sharp on a projector."""
NOT_A_FIGURE = ("render.py",)
"""Scripts in the folder that draw no figure (``render.py`` writes them all to PNG files)."""


def available(folder):
    """The figure scripts in ``folder``: name -> path (not ``render.py``, nor the ``_*.py``
    helpers the scripts share: models, data, the deck's own optimizer variants)."""
    return {path.stem: path for path in sorted(Path(folder).glob("*.py"))
            if path.name not in NOT_A_FIGURE and not path.name.startswith("_")}


def check_available(names, folder, deck_name):
    """Raise ``FileNotFoundError`` naming every figure of ``names`` without a script."""
    missing = [name for name in names if name not in available(folder)]
    if missing:
        raise FileNotFoundError(f"deck {deck_name!r} shows figure(s) {', '.join(missing)}, but "
                                f"{folder} has no script for them (figure NAME is NAME.py "
                                "there, defining make(fast=False))")


def load(path):
    """The figure script at ``path`` as a module, its folder importable while it loads and
    draws (the scripts import the ``_*.py`` helpers beside them)."""
    path = Path(path).resolve()
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(f"tinyopt_lecture_figure_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "make", None)):
        raise ValueError(f"figure script {path} defines no make(fast=False)")
    return module


def draw(name, folder, fast):
    """Run the script ``folder/name.py``'s ``make(fast)``; the Figure it returns."""
    return load(Path(folder) / f"{name}.py").make(fast=fast)


def data_urls(names, folder, fast):
    """Draw each figure of ``names``; name -> ``data:image/png;base64,...`` URL."""
    urls = {}
    with tempfile.TemporaryDirectory(prefix="tinyopt-lecture-figures-") as scratch:
        for name in names:
            (png,) = save_figure(draw(name, folder, fast), Path(scratch) / name, ("png",), DPI)
            urls[name] = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()
    return urls
