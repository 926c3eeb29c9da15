"""Exercises students implement, and a grader that points at their first wrong step.

    >>> import tinyopt.exercises as ex
    >>> ex.names()                          # the exercises
    >>> ex.start("adam", "my_work/")        # copies the skeleton my_work/adam.py
    >>> ex.check("adam", file="my_work/adam.py")   # PASS, or the first divergence and why

From a shell: ``tinyopt exercises start adam my_work/`` and
``tinyopt check adam --file my_work/adam.py``. Each exercise lives in a
skeleton (``skeletons/``) with the parts to write raising
``NotImplementedError("exercise: ...")``; the reference solution is
tinyopt's own implementation (``tinyopt.optim``; for the experiments, the
reference runs in ``comparisons``, ``large_batch`` and ``warmup``), out of
the skeleton's way. Course staff grade a folder of submissions with
``pytest --exercises DIR`` (``pytest_plugin``). ``check`` runs the student's file in a subprocess with a timeout;
``check(name, solution=MyAdam)`` grades a class defined in a notebook, in
this process (no timeout then).
"""
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import (chapters, comparisons, gradients, grader, large_batch, lr_range, report,
               schedules, warmup)
from .optimizers import EXERCISES as _OPTIMIZERS

_CATALOG = {exercise.name: exercise for exercise in
            _OPTIMIZERS + schedules.EXERCISES + gradients.EXERCISES + lr_range.EXERCISES
            + chapters.EXERCISES + large_batch.EXERCISES + comparisons.EXERCISES
            + warmup.EXERCISES}
DEFAULT_TIMEOUT = 60.0


def names():
    """The exercise names, in course order."""
    return list(_CATALOG)


def get(name):
    """The exercise called ``name``; ``ValueError`` listing the names for an unknown one."""
    if name not in _CATALOG:
        raise ValueError(f"unknown exercise {name!r}; choose from {', '.join(_CATALOG)}")
    return _CATALOG[name]


def start(name, directory="."):
    """Copy exercise ``name``'s skeleton into ``directory``; returns the new file's path.

    Refuses (``FileExistsError``) to overwrite a file already there: it may be the
    student's work."""
    exercise = get(name)
    target = Path(directory) / exercise.skeleton_path.name
    if target.exists():
        raise FileExistsError(f"{target} exists already; it may hold your work "
                              "(move it away to start over)")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(exercise.skeleton_path, target)
    return target


class CheckResult:
    """What ``check`` returns: ``passed``, the JSON-able ``report`` and its ``text``."""

    def __init__(self, exercise, report_dict):
        self.exercise = exercise
        self.report = report_dict
        self.passed = report_dict["passed"]
        self.text = report.format_report(exercise, report_dict)

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return self.text


def check(name, file=None, *, solution=None, timeout=DEFAULT_TIMEOUT):
    """Grade exercise ``name``: the student's ``file`` (default ``./<skeleton name>``), or a
    class ``solution`` given directly (run in this process). Returns a ``CheckResult``."""
    exercise = get(name)
    if solution is not None and file is not None:
        raise ValueError("give either file or solution, not both")
    if solution is not None:
        trajectory = exercise.run(solution)
    else:
        path = Path(file if file is not None else exercise.skeleton_path.name)
        if not path.is_file():
            raise ValueError(f"file {str(path)!r} not found (start the exercise with "
                             f"`tinyopt exercises start {name}`)")
        if not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
        trajectory = _run_in_subprocess(exercise, path.resolve(), timeout)
    return CheckResult(exercise, grader.grade(exercise, trajectory))


def _run_in_subprocess(exercise, path, timeout):
    """The student's trajectory, computed by ``runner`` in a child process (timeout, crashes)."""
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "TINYOPT_EXECUTOR": "numpy",
           "PYTHONPATH": os.pathsep.join([root, str(path.parent),
                                          os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryDirectory(prefix="tinyopt-check-") as scratch:
        out, progress = Path(scratch) / "trajectory.pkl", Path(scratch) / "progress"
        command = [sys.executable, "-m", "tinyopt.exercises.runner", exercise.name, str(path),
                   str(out), str(progress)]
        try:
            done = subprocess.run(command, cwd=path.parent, env=env, timeout=timeout,
                                  capture_output=True, text=True)
        except subprocess.TimeoutExpired:
            case, step = map(int, progress.read_text().split()) if progress.exists() \
                else (None, None)
            return {"cases": [], "failure": {
                "case": case, "step": step, "during": "step()" if step else "importing",
                "error": f"stopped after {timeout:g} s (an infinite loop?)"}}
        if not out.exists():
            last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
            return {"cases": [], "failure": {
                "case": None, "step": None, "during": "running your file",
                "error": f"Python exited with status {done.returncode}: {last}"}}
        with open(out, "rb") as file:
            return pickle.load(file)


__all__ = ["names", "get", "start", "check", "CheckResult"]
