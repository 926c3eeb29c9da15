"""Run every course notebook as a test: ``python -m pytest notebooks``.

Each ``NN_*.ipynb`` beside this file becomes one test item that executes the
notebook top to bottom in a fresh Jupyter kernel (nbclient) from this folder.
A cell that raises (a failed ``assert`` on a lesson's claim, an error in
tinyopt) fails the item and the report names the cell.

Notebooks read ``TINYOPT_FAST``: "1" (what CI runs, the default here) means
fewer epochs and steps in the same cells; ``TINYOPT_FAST=0 python -m pytest
notebooks`` runs the full lecture. Outputs are kept in memory only; the
committed files stay output-free (``test_notebooks_clean.py``).
"""
import os
from pathlib import Path

import pytest

HERE = Path(__file__).parent
CELL_TIMEOUT_S = 600


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".ipynb" and file_path.parent == HERE:
        return NotebookFile.from_parent(parent, path=file_path)
    return None


class NotebookFile(pytest.File):
    def collect(self):
        yield NotebookItem.from_parent(self, name="execute")


class NotebookItem(pytest.Item):
    def runtest(self):
        nbformat = pytest.importorskip("nbformat")
        nbclient = pytest.importorskip("nbclient")
        notebook = nbformat.read(self.path, as_version=4)
        env = dict(os.environ)
        env.setdefault("TINYOPT_FAST", "1")
        env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        root = str(HERE.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                         resources={"metadata": {"path": str(HERE)}})
        client.execute(env=env)

    def repr_failure(self, excinfo):
        error = excinfo.value
        if type(error).__name__ == "CellExecutionError":
            return f"{self.path.name}: {error}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"notebook {self.path.name}"
