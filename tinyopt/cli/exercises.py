"""``tinyopt exercises``: list the exercises, or copy one's skeleton to start it.

    tinyopt exercises list                 the exercises and what each teaches
    tinyopt exercises start NAME [DIR]     copy NAME's skeleton into DIR (default .)

Then fill in the parts that raise ``NotImplementedError("exercise: ...")``
and run ``tinyopt check NAME``.
"""
from . import common


def add_arguments(parser):
    """``list`` or ``start NAME [DIR]``."""
    from .. import exercises
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                    parser_class=common.Parser)
    actions.add_parser("list", help="the exercises and their learning goals")
    start = actions.add_parser("start", help="copy an exercise's skeleton into a folder")
    start.add_argument("name", choices=exercises.names(), metavar="NAME",
                       help="the exercise: " + ", ".join(exercises.names()))
    start.add_argument("dir", nargs="?", default=".", help="where to put it (default .)")


def main(args):
    """List the exercises, or copy one skeleton (refusing to overwrite a file)."""
    from .. import exercises
    if args.action == "list":
        for name in exercises.names():
            exercise = exercises.get(name)
            print(f"  {name:<22} {exercise.title}: {exercise.goal}")
        return
    try:
        path = exercises.start(args.name, args.dir)
    except FileExistsError as error:
        raise common.CommandError(str(error)) from None
    print(f"wrote {path}: fill in the parts raising NotImplementedError, then run "
          f"`tinyopt check {args.name} --file {path}`")
