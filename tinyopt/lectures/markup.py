"""Slide Markdown to HTML: KaTeX math (rendered at build time by node), Pygments code, figures.

Math is cut out of the text before Markdown sees it (so ``_`` and ``*`` in TeX stay TeX),
replaced by placeholders, rendered in one batch by ``lectures/render_math.cjs`` (KaTeX from
``lectures/node_modules``) and put back. Code blocks and inline code keep their dollars.
"""
import html
import json
import re
import subprocess

import mistune
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

MATH = re.compile(r"(```.*?```|`[^`\n]*`)|\$\$(.+?)\$\$|\$([^\s$](?:[^$\n]*?[^\s$\\])?)\$", re.S)
"""Code (kept as it is), display math ``$$...$$``, inline math ``$x$`` (no space inside the
dollars, as in Pandoc, so "5 $ and 6 $" stays text)."""
PLACEHOLDER = "KATEXMATH{}END"
PLACEHOLDER_PATTERN = re.compile(r"(<p>)?KATEXMATH(\d+)END(</p>)?")
CODE_STYLE = "friendly"
CODE_CSS = HtmlFormatter(style=CODE_STYLE).get_style_defs(".highlight")


class MathBatch:
    """The math of a whole deck, gathered with ``protect`` and rendered once by ``render``."""

    def __init__(self):
        self.expressions = []  # [tex, display] pairs, as render_math.cjs reads them
        self.rendered = None

    def protect(self, text):
        """``text`` with each math span replaced by a placeholder (code left alone)."""
        def replace(match):
            code, display, inline = match.groups()
            if code is not None:
                return code
            self.expressions.append([(display or inline).strip(), display is not None])
            token = PLACEHOLDER.format(len(self.expressions) - 1)
            return f"\n\n{token}\n\n" if display is not None else token
        return MATH.sub(replace, text)

    def render(self, node, script):
        """Render every gathered expression with KaTeX (``node script``); ``ValueError`` with
        KaTeX's message if one is not valid TeX."""
        done = subprocess.run([node, str(script)], input=json.dumps(self.expressions),
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ValueError(f"KaTeX: {done.stderr.strip() or 'node failed'}")
        self.rendered = json.loads(done.stdout)

    def restore(self, markup):
        """``markup`` with the placeholders replaced by the rendered math."""
        def replace(match):
            opened, index, closed = match.groups()
            tex, display = self.expressions[int(index)]
            rendered = self.rendered[int(index)]
            if display:
                return f'<div class="math-display">{rendered}</div>'
            return (opened or "") + rendered + (closed or "")
        return PLACEHOLDER_PATTERN.sub(replace, markup)


class SlideRenderer(mistune.HTMLRenderer):
    """Mistune's HTML with Pygments code blocks and ``figure:`` images from ``figures``
    (name -> ``data:`` URL); raw HTML is escaped."""

    def __init__(self, figures):
        super().__init__(escape=True)
        self.figures = figures

    def block_code(self, code, info=None):
        try:
            lexer = get_lexer_by_name(info.split()[0]) if info else TextLexer()
        except ClassNotFound:
            raise ValueError(f"unknown code language {info!r} (a Pygments lexer name)") from None
        return highlight(code, lexer, HtmlFormatter(style=CODE_STYLE))

    def image(self, text, url, title=None):
        if not url.startswith("figure:"):
            raise ValueError(f"image {url!r}: slides show figures only, as figure:NAME "
                             "(a script in lectures/figures/), so every image is drawn by tinyopt")
        name = url.removeprefix("figure:")
        return (f'<img class="figure" src="{self.figures[name]}" alt="{html.escape(text)}" '
                f'data-figure="{name}">')


def to_html(text, figures):
    """The HTML of one Markdown ``text`` (math already protected)."""
    markdown = mistune.create_markdown(renderer=SlideRenderer(figures), plugins=["table"])
    return markdown(text)
