"""``pytest --exercises DIR``: the course staff's view, every check on a folder of submissions.

    pytest --exercises submissions/                 one test per (student, exercise)
    pytest --exercises submissions/ -k adam         only the adam checks
    pytest --exercises submissions/ --junitxml=grades.xml   (each report in the XML too)

The folder holds either one student's files, named after the exercises
(``submissions/adam.py``, ``submissions/lion.py``: the student is the folder's
name), or one subfolder per student (``submissions/alice/adam.py``,
``submissions/bob/adam.py``), or both. A file whose name is no exercise
(a helper module the student imports) is not graded; the header lists
those. Each test is ``exercises.check(name, file=...)``: the student's code
runs in its own subprocess with a timeout (``--exercises-timeout``,
default 60 s), the file is never changed, and a failing test prints the
grader's report — the first divergence and the diagnosis.

With ``--exercises`` only the submissions are collected (not the project's
tests), and pytest never imports a file of the submissions folder itself
(no ``conftest.py`` there is loaded). Installed tinyopt registers this
plugin (``pytest11`` entry point); from a source tree, add
``-p tinyopt.exercises.pytest_plugin``.
"""
from pathlib import Path

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("tinyopt exercises")
    group.addoption("--exercises", metavar="DIR", default=None,
                    help="grade every submission in DIR (files named after exercises, or one "
                         "subfolder per student): one test per (student, exercise)")
    group.addoption("--exercises-timeout", metavar="SECONDS", type=float, default=None,
                    help="seconds before a student's code is stopped (default 60)")


def _folder(config):
    """The submissions folder given with ``--exercises``, or None; a ``UsageError`` if it is not
    a folder."""
    value = config.getoption("exercises")
    if value is None:
        return None
    folder = Path(value)
    if not folder.is_dir():
        raise pytest.UsageError(f"--exercises: {value!r} is not a folder (give the folder "
                                "of submissions)")
    return folder.resolve()


def submissions(folder):
    """``(graded, ignored)``: ``graded`` a list of ``(student, exercise, path)``, sorted;
    ``ignored`` the ``.py`` files named after no exercise."""
    from .. import exercises
    names, graded, ignored = set(exercises.names()), [], []
    places = [(folder.name, folder)] + [(d.name, d) for d in sorted(folder.iterdir())
                                        if d.is_dir() and not d.name.startswith((".", "_"))]
    for student, place in places:
        for path in sorted(place.glob("*.py")):
            if path.stem in names:
                graded.append((student, path.stem, path))
            else:
                ignored.append(path)
    return graded, ignored


def pytest_configure(config):
    if _folder(config) is not None:
        config.args[:] = []  # collect the submissions only (pytest_collection_modifyitems)


def pytest_report_header(config):
    folder = _folder(config)
    if folder is None:
        return None
    graded, ignored = submissions(folder)
    students = sorted({student for student, _, _ in graded})
    lines = [f"exercises: {len(graded)} submissions of {len(students)} student(s) in {folder}"]
    if ignored:
        lines.append("exercises: not graded (named after no exercise): " +
                     ", ".join(str(p.relative_to(folder)) for p in ignored))
    return lines


def pytest_collection_modifyitems(session, config, items):
    folder = _folder(config)
    if folder is None:
        return
    by_student = {}
    for student, exercise, path in submissions(folder)[0]:
        by_student.setdefault(student, []).append((exercise, path))
    for student, entries in by_student.items():
        node = Student.from_parent(session, name=student, nodeid=student,
                                   path=entries[0][1].parent, entries=entries,
                                   timeout=config.getoption("exercises_timeout"))
        items.extend(session.genitems(node))  # reported as collected, as pytest's own


class Student(pytest.Collector):
    """The submissions of one student: one ``ExerciseCheck`` each (test ids ``alice::adam``)."""

    def __init__(self, *, entries, timeout, **kwargs):
        super().__init__(**kwargs)
        self.entries, self.timeout = entries, timeout

    def collect(self):
        return [ExerciseCheck.from_parent(self, name=exercise, path=path, timeout=self.timeout)
                for exercise, path in self.entries]


class ExerciseFailed(Exception):
    """A check that did not pass; its message is the grader's report."""


class ExerciseCheck(pytest.Item):
    """``exercises.check(exercise, file=path)`` as one test."""

    def __init__(self, *, timeout=None, **kwargs):
        super().__init__(**kwargs)
        self.timeout = timeout

    def runtest(self):
        from .. import exercises
        options = {} if self.timeout is None else {"timeout": self.timeout}
        result = exercises.check(self.name, file=self.path, **options)
        self.user_properties.append(("passed", result.passed))
        self.user_properties.append(("report", result.text))
        if not result.passed:
            raise ExerciseFailed(result.text)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ExerciseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"{self.parent.name}: {self.name}"
