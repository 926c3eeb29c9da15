"""The student's side of a check, run in a subprocess: import their file, run it, save the numbers.

    python -m tinyopt.exercises.runner NAME STUDENT_FILE OUT PROGRESS

Nothing here raises for the student's mistakes: a file that does not
import, a missing class or an exception inside ``step()`` is recorded in
the trajectory written to OUT (a pickle), and the parent process reports
it. PROGRESS holds the case and step being run, so a timeout can say where
the student's code got stuck. The student's file is only read (no
``__pycache__`` is written next to it).
"""
import importlib.util
import pickle
import sys
from pathlib import Path

from . import harness


def load_solution(exercise, student_file):
    """``(solution, None)`` or ``(None, failure record)``: the student's class from their file."""
    path = Path(student_file)
    try:
        spec = importlib.util.spec_from_file_location(f"student_{exercise.name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception as error:
        return None, {**harness.failure(None, None, f"importing {path.name}", error, path),
                      "case": None}
    solution = getattr(module, exercise.class_name, None)
    if solution is None:
        defined = sorted(name for name, value in vars(module).items()
                         if callable(value) and getattr(value, "__module__", None) == module.__name__)
        return None, {"case": None, "step": None, "during": f"looking for {exercise.class_name}",
                      "error": f"{path.name} defines no {exercise.class_name!r} (it defines "
                               f"{', '.join(defined) or 'no classes'}); the grader constructs "
                               f"{exercise.class_name} as the skeleton names it"}
    return solution, None


def main(argv):
    """Run the exercise named ``argv[0]`` on the student's file ``argv[1]``; write ``argv[2]``."""
    from . import get
    name, student_file, out, progress = argv
    sys.dont_write_bytecode = True
    exercise = get(name)
    student_file = str(Path(student_file).resolve())
    solution, problem = load_solution(exercise, student_file)

    def on_step(case, step):
        Path(progress).write_text(f"{case} {step}")

    if problem is not None:
        trajectory = {"cases": [], "failure": problem}
    else:
        trajectory = exercise.run(solution, student_file, on_step)
    with open(out, "wb") as file:
        pickle.dump(trajectory, file)


if __name__ == "__main__":
    main(sys.argv[1:])
