"""The committed notebooks carry no outputs and no execution counts.

Students open them in Jupyter and run them themselves; outputs in the
repository would be stale the moment tinyopt changes, bloat every diff and
hide whether a notebook still runs (CI executes them instead: conftest.py).
Strip a notebook before committing with Jupyter's "Clear All Outputs".
"""
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted(Path(__file__).parent.glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no .ipynb files found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_has_no_outputs_or_execution_counts(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("outputs") == [], f"{path.name} cell {index} has outputs"
        assert cell.get("execution_count") is None, \
            f"{path.name} cell {index} has execution_count {cell['execution_count']}"
