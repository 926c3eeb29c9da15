"""Where the decks live: the repository's ``lectures/`` folder (no imports beyond the
standard library, so the command line can list the decks without loading the builder)."""
from pathlib import Path

LECTURES = Path(__file__).resolve().parents[2] / "lectures"
"""The repository's ``lectures/`` folder: decks/, figures/, theme.css, package.json."""
DECKS = LECTURES / "decks"
FIGURES = LECTURES / "figures"


def deck_names():
    """The decks in ``lectures/decks`` (file stems), sorted."""
    return sorted(path.stem for path in DECKS.glob("*.md"))
