"""``tinyopt sweep`` run from a figure script: its results, without its own figure."""
import json
import tempfile
from pathlib import Path

from tinyopt.cli import main


def sweep(*arguments):
    """The ``results`` list of ``tinyopt sweep ARGUMENTS`` (one dict per value and seed)."""
    with tempfile.TemporaryDirectory() as folder:
        code = main(["sweep", *arguments, "--out", folder, "--no-progress"])
        if code:
            raise RuntimeError(f"tinyopt sweep {' '.join(arguments)} exited with {code}")
        return json.loads((Path(folder) / "results.json").read_text())["results"]
