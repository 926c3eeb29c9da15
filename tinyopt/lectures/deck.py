"""A deck's Markdown source, split into slides.

The source is Markdown with four conventions of its own:

- a line ``---`` (outside a code block) starts a new slide;
- every slide opens with a heading: ``# Title`` is a title or section slide (large, centred),
  ``## Title`` an ordinary slide; the first slide's ``#`` heading is the deck's title;
- a line ``Note:`` starts the slide's speaker notes (the rest of the slide);
- a line ``||`` splits the slide's body into a left and a right column.

Figures are images whose address names a figure script, ``![caption](figure:loss_spikes)``;
math is TeX between ``$...$`` (inline) or ``$$...$$`` (display). The text is Markdown only:
raw HTML is shown as text, so a deck cannot run code in the browser.
"""
import re
from dataclasses import dataclass, field
from pathlib import Path

SLIDE_BREAK = "---"
NOTES = "Note:"
COLUMN_BREAK = "||"
FENCE = "```"
HEADING = re.compile(r"(#{1,2}) +(\S.*)")
FIGURE = re.compile(r"!\[[^\]]*\]\(figure:([^)\s]*)\)")
FIGURE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Slide:
    """One slide: its heading (``level`` 1 for title/section slides, 2 otherwise), its body as
    a list of columns (Markdown each), its speaker notes (Markdown) and its source line."""
    title: str
    level: int
    columns: list
    notes: str
    line: int

    @property
    def figures(self):
        """The figure names this slide shows, in order."""
        return [name for column in self.columns for name in FIGURE.findall(column)]


@dataclass
class Deck:
    """A parsed deck: its name (the file's stem), title and slides."""
    name: str
    title: str
    slides: list = field(default_factory=list)

    @property
    def figures(self):
        """Every figure the deck shows, each once, in order of first use."""
        return list(dict.fromkeys(name for slide in self.slides for name in slide.figures))


def _split_slides(lines):
    """``(first line number, lines)`` per slide: the text between ``---`` lines outside code."""
    chunks, current, start, in_code = [], [], 1, False
    for number, line in enumerate(lines, 1):
        if line.strip().startswith(FENCE):
            in_code = not in_code
        if line.strip() == SLIDE_BREAK and not in_code:
            chunks.append((start, current))
            current, start = [], number + 1
        else:
            current.append(line)
    chunks.append((start, current))
    return [(start, chunk) for start, chunk in chunks if any(line.strip() for line in chunk)]


def _parse_slide(source, start, lines):
    """One slide from its lines; ``ValueError`` naming ``source`` and the line if malformed."""
    while not lines[0].strip():
        lines, start = lines[1:], start + 1
    heading = HEADING.fullmatch(lines[0].strip())
    if heading is None:
        raise ValueError(f"{source}:{start}: a slide must open with '# Title' or '## Title', "
                         f"got {lines[0].strip()!r}")
    body = lines[1:]
    stripped = [line.strip() for line in body]
    notes = ""
    if NOTES in stripped:
        cut = stripped.index(NOTES)
        body, notes = body[:cut], "\n".join(body[cut + 1:]).strip()
    columns, current = [], []
    for line in body:
        if line.strip() == COLUMN_BREAK:
            columns.append("\n".join(current))
            current = []
        else:
            current.append(line)
    columns.append("\n".join(current))
    if len(columns) > 2:
        raise ValueError(f"{source}:{start}: a slide has at most two columns (one '||' line), "
                         f"got {len(columns)}")
    slide = Slide(heading.group(2).strip(), len(heading.group(1)), columns, notes, start)
    for name in slide.figures:
        if not FIGURE_NAME.fullmatch(name):
            raise ValueError(f"{source}:{start}: figure name {name!r} is not a Python name "
                             "(letters, digits, underscores: the stem of a figure script)")
    return slide


def parse(path):
    """The deck in the Markdown file ``path``."""
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    slides = [_parse_slide(path, start, chunk) for start, chunk in _split_slides(lines)]
    if not slides:
        raise ValueError(f"{path}: the deck has no slides")
    if slides[0].level != 1:
        raise ValueError(f"{path}:{slides[0].line}: the first slide is the title slide: "
                         "open it with '# Title'")
    return Deck(path.stem, slides[0].title, slides)
