"""The browser assets every deck inlines: reveal.js and its notes plugin, KaTeX's CSS, fonts.

They come from the npm registry through ``lectures/package.json`` (``npm ci --prefix
lectures`` installs them into ``lectures/node_modules``) and are copied into each HTML file,
fonts as ``data:`` URLs, so a deck opens from ``file://`` with no network at all.
"""
import base64
import re
import shutil
from pathlib import Path

STYLESHEETS = ("reveal.js/dist/reveal.css", "reveal.js/dist/theme/white.css",
               "katex/dist/katex.min.css")
SCRIPTS = ("reveal.js/dist/reveal.js", "reveal.js/plugin/notes/notes.js")
MATH_SCRIPT = "render_math.cjs"
"""The node script (in ``lectures/``) that renders TeX with KaTeX."""
FONT_TYPES = {".woff2": "font/woff2", ".woff": "font/woff"}
IMPORT = re.compile(r"@import url\(['\"]?([^'\")]+)['\"]?\);")
SOURCES = re.compile(r"src:([^;}]*)")
URL = re.compile(r"url\(['\"]?([^'\")?#]+)[^)]*\)\s*format\(['\"]?(\w+)['\"]?\)")


def node_modules(lectures):
    """``lectures/node_modules``; ``FileNotFoundError`` saying how to install it if absent."""
    folder = Path(lectures) / "node_modules"
    missing = [name for name in STYLESHEETS + SCRIPTS if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder / missing[0]} is missing: install the decks' browser "
                                f"assets with `npm ci --prefix {lectures}` (needs node and npm)")
    return folder


def node():
    """The ``node`` executable; ``FileNotFoundError`` if it is not on the PATH."""
    found = shutil.which("node")
    if found is None:
        raise FileNotFoundError("node is not on the PATH: KaTeX renders the decks' math with "
                                "it (Debian: apt-get install nodejs npm)")
    return found


def _font_face_sources(declaration, folder):
    """A ``src:`` list cut to its first WOFF2/WOFF font, inlined; None if it has neither."""
    for url, kind in URL.findall(declaration):
        path = folder / url
        if path.suffix in FONT_TYPES:
            data = base64.b64encode(path.read_bytes()).decode()
            return f"src:url(data:{FONT_TYPES[path.suffix]};base64,{data}) format('{kind}')"
    return None


def inline_css(path):
    """The stylesheet at ``path`` with its ``@import``s pulled in and its fonts inlined
    (``src`` lists without a WOFF2/WOFF font, such as old EOT fallbacks, are dropped)."""
    path = Path(path)

    def sources(match):
        return _font_face_sources(match.group(1), path.parent) or ""
    text = SOURCES.sub(sources, path.read_text(encoding="utf-8"))
    return IMPORT.sub(lambda match: inline_css(path.parent / match.group(1)), text)


def stylesheets(lectures):
    """Every stylesheet the decks need, fonts inlined: the npm ones, then ``lectures/theme.css``."""
    folder = node_modules(lectures)
    return [inline_css(folder / name) for name in STYLESHEETS] + [
        (Path(lectures) / "theme.css").read_text(encoding="utf-8")]


def scripts(lectures):
    """The JavaScript the decks run: reveal.js and its speaker-notes plugin."""
    folder = node_modules(lectures)
    return [(folder / name).read_text(encoding="utf-8") for name in SCRIPTS]
