"""Headless Chromium, driven by Playwright, for printing decks to PDF (and for the tests).

Chromium is the system's (Debian's ``chromium``; ``TINYOPT_CHROMIUM`` names another), never a
browser that Playwright downloads. It runs offline-safe: no first-run, sync, component
updates or background networking, and a fresh profile per launch.
"""
import contextlib
import os
import shutil
import tempfile
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync")


def find_chromium():
    """The Chromium executable (``TINYOPT_CHROMIUM`` or the PATH), or None."""
    named = os.environ.get("TINYOPT_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


@contextlib.contextmanager
def chromium_context(viewport=None):
    """A Playwright browser context of headless Chromium with a fresh profile."""
    executable = find_chromium()
    if executable is None:
        raise FileNotFoundError("no Chromium found (install Debian's chromium, or set "
                                "TINYOPT_CHROMIUM to its path): it prints the decks to PDF")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ImportError("printing a deck needs Playwright: pip install -e '.[lectures]'") from None
    with tempfile.TemporaryDirectory(prefix="tinyopt-chromium-") as profile, \
            sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=list(CHROMIUM_FLAGS),
            viewport=viewport)
        try:
            yield context
        finally:
            context.close()


def open_deck(context, html_path, query=""):
    """A new page showing the deck at ``html_path`` (``query`` such as ``?print-pdf``), once
    reveal.js is ready (for ``?print-pdf``: once its print layout is complete)."""
    page = context.new_page()
    printing = "print-pdf" in query
    if printing:  # reveal.js lays the pages out after it is ready, then says 'pdf-ready'
        page.add_init_script("document.addEventListener('pdf-ready', "
                             "() => { window.tinyoptPdfReady = true; })")
    page.goto(Path(html_path).resolve().as_uri() + query)
    page.wait_for_function("() => window.Reveal && Reveal.isReady()")
    if printing:
        page.wait_for_function("() => window.tinyoptPdfReady === true")
    return page


def print_pdf(html_path, pdf_path, context=None):
    """Print the deck to ``pdf_path`` with reveal.js's print layout: one slide per page.

    ``context``: a ``chromium_context()`` to print in (a fresh one by default)."""
    if context is None:
        with chromium_context() as fresh:
            return print_pdf(html_path, pdf_path, fresh)
    page = open_deck(context, html_path, "?print-pdf")
    page.pdf(path=str(pdf_path), prefer_css_page_size=True, print_background=True)
    page.close()
