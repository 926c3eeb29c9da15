"""``pytest --exercises DIR`` (the course staff's view), run as staff run it: a pytest subprocess
over a folder of submissions, one test per (student, exercise), each failure the grader's report."""
import os
import subprocess
import sys
from pathlib import Path

from tinyopt import exercises

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = Path(__file__).parent / "exercise_solutions"
CLIP = (SOLUTIONS / "clip_grad_norm.py").read_text()


def run_pytest(cwd, *args):
    """``pytest -p tinyopt.exercises.pytest_plugin ARGS`` in ``cwd`` (this tinyopt first on the
    path): ``(exit status, output)``."""
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "tinyopt.exercises.pytest_plugin",
                           "-p", "no:cacheprovider", "-v", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout + done.stderr


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_one_test_per_student_and_exercise_with_the_graders_report(tmp_path):
    folder = tmp_path / "submissions"
    write(folder / "alice" / "clip_grad_norm.py", CLIP)
    wrong = CLIP.replace("factor = min(1.0, max_norm / (total + 1e-6))",
                         "factor = max_norm / (total + 1e-6)")
    assert wrong != CLIP
    write(folder / "bob" / "clip_grad_norm.py", wrong)
    write(folder / "bob" / "adam.py", exercises.get("adam").skeleton_path.read_text())
    write(folder / "bob" / "helpers.py", "x = 1\n")
    write(folder / "bob" / "conftest.py", f"open({str(tmp_path / 'ran')!r}, 'w').close()\n")
    before = {p: p.read_text() for p in folder.rglob("*.py")}
    status, output = run_pytest(tmp_path, "--exercises", str(folder))
    assert status == 1, output
    assert "collected 3 items" in output
    assert "exercises: 3 submissions of 2 student(s)" in output
    assert "not graded (named after no exercise): bob/conftest.py, bob/helpers.py" in output
    assert "alice::clip_grad_norm PASSED" in output
    assert "bob::adam FAILED" in output and "bob::clip_grad_norm FAILED" in output
    assert "not implemented yet: exercise: Adam.step" in output
    assert "diagnosis: scaled even below max_norm" in output
    assert "Traceback" not in output
    assert not (tmp_path / "ran").exists()  # no file of the submissions is imported by pytest
    assert {p: p.read_text() for p in folder.rglob("*.py")} == before
    assert not list(folder.rglob("__pycache__"))


def test_a_folder_of_one_students_files_and_selection_by_k(tmp_path):
    folder = tmp_path / "carol"
    write(folder / "clip_grad_norm.py", CLIP)
    write(folder / "adam.py", (SOLUTIONS / "adam.py").read_text())
    status, output = run_pytest(tmp_path, "--exercises", str(folder), "-k", "clip")
    assert status == 0, output
    assert "carol::clip_grad_norm PASSED" in output
    assert "1 passed, 1 deselected" in output


def test_bad_folder_is_a_usage_error_and_without_the_option_nothing_changes(tmp_path):
    status, output = run_pytest(tmp_path, "--exercises", str(tmp_path / "nowhere"))
    assert status == 4
    assert "--exercises: " in output and "is not a folder" in output
    write(tmp_path / "test_plain.py", "def test_plain():\n    assert True\n")
    status, output = run_pytest(tmp_path)
    assert status == 0 and "test_plain.py::test_plain PASSED" in output
