"""``tinyopt check``: grade an exercise against the reference; the first wrong step and why.

    tinyopt check adam                       grades ./adam.py
    tinyopt check adam --file work/adam.py   another file
    tinyopt check adam --json                the report as JSON (course tooling)

Prints PASS with what was checked, or the first divergence: the case, the
step, the parameter or state entry (by your own key names), the element,
expected vs got, and which known mistake reproduces your numbers. Exit
status 0 on pass, 1 on fail, 2 for a usage error.
"""
import json

from . import common


def add_arguments(parser):
    """``NAME``, ``--file``, ``--timeout`` and ``--json``."""
    from .. import exercises
    parser.add_argument("name", choices=exercises.names(), metavar="NAME",
                        help="the exercise: " + ", ".join(exercises.names()))
    parser.add_argument("--file", default=None,
                        help="your solution (default: the skeleton's file name in .)")
    parser.add_argument("--timeout", type=common.positive_float, default=exercises.DEFAULT_TIMEOUT,
                        help=f"seconds before your code is stopped (default "
                             f"{exercises.DEFAULT_TIMEOUT:g})")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def main(args):
    """Grade; returns the exit status, 1 when the check fails."""
    from .. import exercises
    result = exercises.check(args.name, args.file, timeout=args.timeout)
    print(json.dumps(result.report, indent=2) if args.json else result.text)
    return 0 if result.passed else 1
