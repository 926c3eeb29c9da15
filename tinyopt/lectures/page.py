"""A parsed deck as one self-contained reveal.js HTML page (16:9, 1280 x 720 CSS pixels).

A 16:9 slide is 13.33 x 7.5 inches, 960 x 540 pt, so at 1280 px wide one point is 4/3 px:
the theme's body text (28 px) is 21 pt, its smallest text (24 px) 18 pt, titles (48 px) 36 pt.
"""
import html
import json

from . import markup

WIDTH, HEIGHT = 1280, 720
REVEAL_CONFIG = {
    "width": WIDTH, "height": HEIGHT, "margin": 0.04, "center": False, "hash": True,
    "slideNumber": "c/t", "transition": "none", "controls": True, "progress": True,
    "pdfMaxPagesPerSlide": 1, "pdfSeparateFragments": False, "showNotes": False,
}
"""reveal.js settings: no transitions (and one PDF page per slide, as the tests check)."""


def _script(code):
    """``code`` in a <script> element: a ``</script`` inside it must not close the element."""
    return "<script>" + code.replace("</script", "<\\/script") + "</script>"


def _slide(slide, math, figures):
    """One slide as a <section>: a frame (heading, body columns) that figures fill to the
    bottom of the slide, and the speaker notes."""
    level = "h1" if slide.level == 1 else "h2"
    kind = "title-slide" if slide.level == 1 else "content-slide"
    title = math.protect(html.escape(slide.title, quote=False))
    columns = [markup.to_html(math.protect(column), figures) for column in slide.columns]
    body = (columns[0] if len(columns) == 1 else
            '<div class="columns">' + "".join(f"<div>{c}</div>" for c in columns) + "</div>")
    if markup.MathBatch().protect(slide.notes) != slide.notes:
        raise ValueError(f"the slide at line {slide.line} ({slide.title!r}) has math in its "
                         "speaker notes: reveal.js's speaker view shows them without KaTeX's "
                         "styles, so write it in words")
    notes = markup.to_html(slide.notes, figures)
    has_figure = " has-figure" if slide.figures else ""
    return (f'<section class="{kind}{has_figure}" data-source-line="{slide.line}">'
            f'<div class="frame"><{level}>{title}</{level}>{body}</div>'
            f'<aside class="notes">{notes}</aside></section>')


def render(deck, figures, stylesheets, scripts, render_math):
    """The deck's HTML page. ``figures``: name -> data URL; ``stylesheets``, ``scripts``: their
    text, inlined; ``render_math(batch)`` renders a ``markup.MathBatch`` in place."""
    math = markup.MathBatch()
    sections = "\n".join(_slide(slide, math, figures) for slide in deck.slides)
    render_math(math)
    sections = math.restore(sections)
    styles = "\n".join(f"<style>{css}</style>" for css in stylesheets + [markup.CODE_CSS])
    code = "\n".join(_script(script) for script in scripts)
    start = _script(f"Reveal.initialize(Object.assign({json.dumps(REVEAL_CONFIG)}, "
                    "{plugins: [RevealNotes]}));")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="generator" content="tinyopt lectures build">'
            f"<title>{html.escape(deck.title)}</title>\n{styles}\n</head>\n"
            f'<body><div class="reveal"><div class="slides">\n{sections}\n</div></div>\n'
            f"{code}\n{start}\n</body></html>\n")
