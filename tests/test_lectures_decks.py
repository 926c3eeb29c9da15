"""The lecture decks' sources and builder without a browser: the Markdown format, the figures
the course decks show, math protection, clear errors, and ``tinyopt lectures`` usage.

The browser checks of the built decks are in ``test_lectures_decks_browser.py``.
"""
import re

import pytest

from tinyopt import cli
from tinyopt.lectures import DECKS, FIGURES, LECTURES, deck_names

pytest.importorskip("mistune", reason="the lectures extra is not installed")
from tinyopt.lectures import assets, deck, figures, markup, page  # noqa: E402
from tinyopt.lectures.builder import build  # noqa: E402

COURSE_FIGURES = {
    "optimizer_and_lr_schedule": [
        "landscape_challenges", "gd_variants", "adagrad_decay", "momentum_vs_sgd",
        "weight_decay", "nesterov_lookahead", "optimizer_family_race", "lion_sign", "soap_muon",
        "schedule_step", "schedule_cosine", "schedule_warmup", "schedule_onecycle",
        "schedule_plateau", "schedule_free"],
    "advanced_training": [
        "loss_spikes", "spike_weights_vs_steps", "largest_lr_that_trains", "deep_net_lrs",
        "per_layer_lrs", "adam_v0_early_steps", "rprop_to_lion", "linear_scaling",
        "warmup_updates", "sam_flat_minima"],
}
"""Every figure of the two course decks, in order of appearance: the 25 scripts of
lectures/figures (issue #13's names)."""


def write(tmp_path, text, name="deck.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_course_decks_are_the_two_decks_of_the_course():
    assert deck_names() == ["advanced_training", "optimizer_and_lr_schedule"]


@pytest.mark.parametrize("name", sorted(COURSE_FIGURES))
def test_each_course_deck_shows_its_figures_and_has_notes_on_every_slide(name):
    parsed = deck.parse(DECKS / f"{name}.md")
    assert parsed.figures == COURSE_FIGURES[name]
    assert [slide.line for slide in parsed.slides if not slide.notes.strip()] == []
    assert all(slide.title for slide in parsed.slides)


def test_together_the_decks_show_all_25_figure_scripts_once():
    shown = [name for names in COURSE_FIGURES.values() for name in names]
    assert len(shown) == len(set(shown)) == 25


def test_slides_split_on_rules_outside_code_with_notes_and_columns(tmp_path):
    parsed = deck.parse(write(tmp_path, "# Title\n\nsub\n---\n## Two\n\nleft\n||\nright\n"
                                        "Note:\nsay this\n---\n## Code\n```\n---\n```\n"))
    assert [slide.title for slide in parsed.slides] == ["Title", "Two", "Code"]
    assert parsed.title == "Title" and parsed.name == "deck"
    assert [column.strip() for column in parsed.slides[1].columns] == ["left", "right"]
    assert parsed.slides[1].notes == "say this"
    assert "---" in parsed.slides[2].columns[0]


@pytest.mark.parametrize("text, message", [
    ("# T\n---\njust text\n", r"deck\.md:3: a slide must open with '# Title' or '## Title'"),
    ("## T\n", r"deck\.md:1: the first slide is the title slide"),
    ("# T\n---\n## S\na\n||\nb\n||\nc\n", r"at most two columns"),
    ("# T\n\n![x](figure:../etc)\n", r"figure name '\.\./etc' is not a Python name"),
    ("\n\n", r"the deck has no slides"),
])
def test_malformed_decks_are_refused_naming_the_line(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        deck.parse(write(tmp_path, text))


def test_a_missing_figure_script_fails_the_build_naming_it_before_anything_is_drawn(tmp_path):
    source = write(tmp_path, "# T\n\n![a](figure:momentum_vs_sgd)\n---\n## S\n\n"
                             "![b](figure:no_such_figure)\n")
    with pytest.raises(FileNotFoundError, match=r"deck 'deck' shows figure\(s\) no_such_figure, "
                                                r"but .* has no script for them"):
        build(source, tmp_path / "out", fast=True)
    assert not (tmp_path / "out").exists()


def test_the_figure_scripts_are_the_python_files_but_render():
    available = figures.available(FIGURES)
    assert "render" not in available
    assert {"momentum_vs_sgd", "loss_spikes", "warmup_updates"} <= set(available)


def test_math_is_cut_out_of_the_text_but_code_keeps_its_dollars():
    batch = markup.MathBatch()
    text = batch.protect("cost 5 $ and 6 $, $a_1 * b_2$ and `$x$`\n\n```\n$y$\n```\n\n$$\\sum_i x_i$$")
    assert batch.expressions == [["a_1 * b_2", False], ["\\sum_i x_i", True]]
    assert "cost 5 $ and 6 $" in text and "`$x$`" in text and "$y$" in text
    assert re.findall(r"KATEXMATH\d+END", text) == ["KATEXMATH0END", "KATEXMATH1END"]
    batch.rendered = ["<i>inline</i>", "<b>display</b>"]
    html = batch.restore(markup.to_html(text, {}))
    assert "<i>inline</i>" in html and '<div class="math-display"><b>display</b></div>' in html


def test_raw_html_is_shown_as_text_and_images_must_be_figures():
    assert "&lt;script&gt;" in markup.to_html("<script>alert(1)</script>", {})
    with pytest.raises(ValueError, match=r"slides show figures only, as figure:NAME"):
        markup.to_html("![x](photo.png)", {})
    html = markup.to_html("![The caption](figure:a)", {"a": "data:image/png;base64,AA"})
    assert 'src="data:image/png;base64,AA"' in html and 'alt="The caption"' in html


def test_tables_and_code_become_real_tables_and_highlighted_code():
    html = markup.to_html("| a | b |\n| --- | --- |\n| 1 | 2 |\n\n```python\nfor x in y:\n"
                          "    pass\n```\n", {})
    assert "<table>" in html and "<td>1</td>" in html
    assert '<div class="highlight">' in html and '<span class="k">for</span>' in html


def test_inlined_stylesheets_leave_no_file_to_fetch():
    try:
        css = "\n".join(assets.stylesheets(LECTURES))
    except FileNotFoundError as error:
        pytest.skip(f"the decks' browser assets are not installed: {error}")
    assert re.findall(r"url\((?!['\"]?data:)[^)]*\)", css) == []
    assert css.count("font/woff2") >= 20  # KaTeX's fonts


def test_lectures_has_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["lectures", "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("usage: tinyopt lectures")


def test_lectures_build_refuses_an_unknown_deck(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["lectures", "build", "--deck", "nope"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'nope' (choose from" in capsys.readouterr().err


def test_lectures_build_refuses_to_overwrite_an_earlier_build(tmp_path, capsys):
    (tmp_path / "advanced_training.pdf").write_bytes(b"%PDF earlier")
    code = cli.main(["lectures", "build", "--deck", "advanced_training", "--out", str(tmp_path)])
    assert code == 1
    assert "holds an earlier run's outputs (advanced_training.pdf)" in capsys.readouterr().err
    assert (tmp_path / "advanced_training.pdf").read_bytes() == b"%PDF earlier"


def test_math_in_speaker_notes_is_refused_naming_the_slide(tmp_path):
    parsed = deck.parse(write(tmp_path, "# T\n\nNote:\nsay $x^2$\n"))
    with pytest.raises(ValueError, match=r"line 1 \('T'\) has math in its speaker notes"):
        page.render(parsed, {}, [], [], lambda batch: None)
