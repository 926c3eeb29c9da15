"""The built decks in a real headless Chromium: every slide visited, and on each one no console
error, no failed request (the page is offline: file:// only), every image loaded, all math
rendered by KaTeX (no raw ``$...$`` left), no text outside the 16:9 slide box, text at
projector size (titles >= 28 pt, everything else >= 18 pt; 1 pt = 4/3 CSS px); the PDF has
one page per slide. Screenshots of the first slide and of a figure slide go to
``$TINYOPT_LECTURE_SCREENSHOTS`` (default: pytest's temporary folder).

Each deck is built once (fast mode) for the whole module. The course decks need every figure
script they show in lectures/figures/; until all are there they skip, naming the missing ones.
A small fixture deck exercises the same checks with the figure scripts that exist.
``TINYOPT_LECTURE_FIGURES=DIR`` builds the course decks with the figure scripts in DIR instead.
"""
import os
import re
from pathlib import Path

import pytest

from tinyopt.lectures import DECKS, FIGURES, LECTURES, deck_names

pytest.importorskip("mistune", reason="the lectures extra is not installed")
pytest.importorskip("playwright", reason="the lectures extra is not installed")
pypdf = pytest.importorskip("pypdf", reason="the lectures extra is not installed")
from tinyopt.lectures import assets, browser  # noqa: E402
from tinyopt.lectures import deck as deck_module  # noqa: E402
from tinyopt.lectures import figures as figures_module  # noqa: E402
from tinyopt.lectures.builder import build  # noqa: E402

PT = 4 / 3  # CSS px per point on a 1280-px-wide 16:9 slide (960 pt wide)
TITLE_MIN_PX, TEXT_MIN_PX = 28 * PT, 18 * PT

FIXTURE_DECK = r"""# Fixture deck

Everything the builder supports, with the figure scripts that exist

Note:
The title slide's notes.

---

## Math and a table

Gradient descent: $\theta \leftarrow \theta - \eta \nabla J(\theta)$

$$v_t = \beta v_{t-1} + \nabla J(\theta_{t-1})$$

| Optimizer | Learning rate |
| --- | --- |
| SGD | $0.1$ |
| Adam | $10^{-3}$ |

Note:
Notes in words: x squared.

---

## Code beside a figure

```python
for x, y in batches:
    θ = θ - lr * g  # $ stays in code
```
||
![Momentum against SGD](figure:momentum_vs_sgd)

Note:
Two columns.

---

## A figure alone

![Loss spikes](figure:loss_spikes)

Note:
A figure alone.

---

## A full-width figure

![Warmup](figure:warmup_updates)

Note:
The last slide.
"""

SLIDE_CHECK = """(minTitle, minText) => {
  const problems = [];
  const section = Reveal.getCurrentSlide();
  const box = document.querySelector('.reveal .slides').getBoundingClientRect();
  const scale = Reveal.getScale();
  const notes = (node) => node.closest && node.closest('aside.notes');
  for (const img of section.querySelectorAll('img')) {
    const r = img.getBoundingClientRect();
    if (!img.complete || img.naturalWidth === 0 || r.width < 1 || r.height < 1)
      problems.push(`image ${img.dataset.figure || img.src.slice(0, 40)} not shown`);
  }
  for (const k of section.querySelectorAll('.katex')) {
    if (notes(k)) continue;
    const html = k.querySelector('.katex-html');
    if (!html || html.getBoundingClientRect().width < 1) problems.push('math not rendered');
  }
  if (section.querySelector('.katex-error')) problems.push('KaTeX error');
  const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
  let prose = '';
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!node.textContent.trim() || notes(parent)) continue;
    if (!parent.closest('pre, code, .katex')) prose += node.textContent + ' ';
    const px = parseFloat(getComputedStyle(parent).fontSize);
    // a glyph box is taller than its line box by up to about a fifth of the font size
    const slack = Math.max(1, 0.2 * px * scale);
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - slack ||
          r.bottom > box.bottom + slack)
        problems.push(`text outside the slide: ${JSON.stringify(node.textContent.slice(0, 40))}`);
    }
    if (parent.closest('.katex')) continue;  // sub- and superscripts are smaller by design
    const minimum = parent.closest('h1, h2') ? minTitle : minText;
    if (px < minimum - 0.01)
      problems.push(`${px}px text (< ${minimum.toFixed(1)}px): ${node.textContent.slice(0, 30)}`);
  }
  for (const el of section.querySelectorAll('*')) {  // a box that hides what does not fit
    if (notes(el) || getComputedStyle(el).overflow === 'visible') continue;
    if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)
      problems.push(`${el.tagName.toLowerCase()} clips its content`);
  }
  if (/\\$[^$]+\\$/.test(prose) || prose.includes('KATEXMATH')) problems.push('raw $...$ math');
  if (!section.querySelector('aside.notes') ||
      !section.querySelector('aside.notes').textContent.trim()) problems.push('no speaker notes');
  return problems;
}"""


FIGURE_FOLDER = Path(os.environ.get("TINYOPT_LECTURE_FIGURES") or FIGURES)


def _missing_figures(path):
    """The figures the deck at ``path`` shows that have no script in the figure folder."""
    shown = deck_module.parse(path).figures
    return [name for name in shown if name not in figures_module.available(FIGURE_FOLDER)]


@pytest.fixture(scope="module")
def chromium():
    if browser.find_chromium() is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium); "
                    ".ci/run installs it")
    try:
        assets.node(), assets.node_modules(LECTURES)
    except FileNotFoundError as error:
        pytest.skip(f"the decks' browser assets are not installed: {error}")
    with browser.chromium_context(viewport={"width": 1280, "height": 720}) as context:
        yield context


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    named = os.environ.get("TINYOPT_LECTURE_SCREENSHOTS")
    folder = Path(named) if named else tmp_path_factory.mktemp("lecture-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module", params=["fixture"] + deck_names())
def source_and_build(request, chromium, tmp_path_factory):
    """Each deck built once in fast mode: the fixture deck, then the course's decks."""
    out = tmp_path_factory.mktemp(f"deck-{request.param}")
    if request.param == "fixture":
        source = out / "fixture.md"
        source.write_text(FIXTURE_DECK, encoding="utf-8")
    else:
        source = DECKS / f"{request.param}.md"
        missing = _missing_figures(source)
        if missing:
            pytest.skip(f"deck {request.param} shows figures without a script in "
                        f"{FIGURE_FOLDER} yet: {', '.join(missing)}")
    return source, build(source, out / "built", fast=True, browser_context=chromium,
                         figure_folder=FIGURE_FOLDER if request.param != "fixture" else FIGURES)


@pytest.fixture
def built(source_and_build):
    return source_and_build[1]


@pytest.fixture
def built_source(source_and_build):
    return source_and_build[0]


def test_every_slide_renders_cleanly_offline(built, chromium, screenshots):
    page = chromium.new_page()
    errors, failed = [], []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("request", lambda request: request.url.startswith(("data:", "file:", "about:"))
            or failed.append(f"network request {request.url}"))
    page.goto(built.html.resolve().as_uri())
    page.wait_for_function("() => window.Reveal && Reveal.isReady()")
    page.evaluate("document.fonts.ready")
    total = page.evaluate("Reveal.getTotalSlides()")
    assert total == built.slides
    problems, figure_slide = [], None
    for index in range(total):
        page.evaluate(f"Reveal.slide({index})")
        page.wait_for_function(f"() => Reveal.getIndices().h === {index}")
        for problem in page.evaluate(SLIDE_CHECK, [TITLE_MIN_PX, TEXT_MIN_PX]):
            problems.append(f"slide {index + 1}: {problem}")
        if index == 0:
            page.screenshot(path=str(screenshots / f"{built.name}-first.png"))
        if figure_slide is None and page.evaluate("!!Reveal.getCurrentSlide().querySelector('img')"):
            figure_slide = index
            page.screenshot(path=str(screenshots / f"{built.name}-figure.png"))
    page.close()
    assert not errors, errors
    assert not failed, failed
    assert not problems, "\n".join(problems)
    assert figure_slide is not None, "the deck shows no figure"
    fonts = [f for f in page_fonts(chromium, built.html) if f[1] != "loaded"]
    assert not fonts, f"fonts that did not load: {fonts}"


def page_fonts(context, html):
    """(family, status) of every font the deck uses, after loading them all."""
    page = browser.open_deck(context, html)
    statuses = page.evaluate("""async () => {
        await Promise.all([...document.fonts].map(f => f.load().catch(() => null)));
        return [...document.fonts].map(f => [f.family, f.status]); }""")
    page.close()
    return statuses


PRINT_CHECK = """() => [...document.querySelectorAll('.pdf-page')].flatMap((page, index) => {
  const box = page.getBoundingClientRect();
  return [...page.querySelectorAll('section img, section .frame *')]
    // KaTeX draws radicals and big delimiters as wide SVG paths clipped by their <svg>
    .filter(el => !el.closest('aside.notes') && !el.closest('svg > *') &&
                  el.getClientRects().length)
    .filter(el => { const r = el.getBoundingClientRect();
                    return r.top < box.top - 1 || r.bottom > box.bottom + 1 ||
                           r.left < box.left - 1 || r.right > box.right + 1; })
    .map(el => `page ${index + 1}: ${el.tagName.toLowerCase()} ${el.textContent.slice(0, 30)}`);
})"""


def test_print_layout_keeps_every_slide_on_its_page(built, chromium):
    page = browser.open_deck(chromium, built.html, "?print-pdf")
    page.emulate_media(media="print")
    assert page.evaluate("document.querySelectorAll('.pdf-page').length") == built.slides
    outside = page.evaluate(PRINT_CHECK)
    page.close()
    assert not outside, "\n".join(outside[:20])


def _letters(text):
    return re.sub(r"\W", "", text)


def test_pdf_has_one_page_per_slide_in_order(built, built_source):
    pages = pypdf.PdfReader(built.pdf).pages
    assert len(pages) == built.slides
    for page in pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert width / height == pytest.approx(16 / 9, rel=0.01)
    titles = [slide.title for slide in deck_module.parse(built_source).slides]
    for number, (page, title) in enumerate(zip(pages, titles), 1):
        if "$" not in title:  # a title with math is text in KaTeX's fonts, spaced its own way
            assert _letters(title) in _letters(page.extract_text()), (number, title)
