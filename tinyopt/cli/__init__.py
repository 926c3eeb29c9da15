"""The ``tinyopt`` command line: one file per subcommand, this one wires them together.

    tinyopt compare    train one model with several optimizer recipes; report with curves and table
    tinyopt race       optimizers race over a 2-D loss landscape; PNG and GIF
    tinyopt schedule   plot learning-rate schedules
    tinyopt train      train one model; curves and a checkpoint, --resume continues exactly
    tinyopt lr-find    the learning-rate range test and its plot
    tinyopt sweep      one recipe at several learning rates or batch sizes (and seeds)
    tinyopt bench      benchmarks against PyTorch: bench train, bench step
    tinyopt exercises  list the exercises; copy one's skeleton to start it
    tinyopt check      grade an exercise: the first wrong step and the likely mistake
    tinyopt lectures   build the course's slide decks to HTML and PDF

Every subcommand has ``--help`` and writes into a folder it names at the end;
it first checks that it can write there and that the folder holds no earlier
run's outputs (``--overwrite`` replaces them). Usage errors (a bad flag, an
unknown name, an impossible value) exit with status 2 and one line that
lists the valid choices; failures while running (and a ``train`` run that
diverged) exit with status 1 and one line.
"""
import sys

from . import (bench, check, common, compare, exercises, lectures, lr_find, race, schedule, sweep,
               train)

SUBCOMMANDS = {"compare": compare, "race": race, "schedule": schedule, "train": train,
               "lr-find": lr_find, "sweep": sweep, "bench": bench, "exercises": exercises,
               "check": check, "lectures": lectures}
"""Subcommand name -> module with ``add_arguments(parser)`` and ``main(args)`` (which may return
an exit status, as ``check`` does), and optionally ``check(args)`` (usage errors, before
anything is touched) and ``OUTPUTS`` (the files it writes into ``--out``)."""
DESCRIPTION = "Deep-learning optimization in NumPy: compare optimizers, race them, plot schedules."


def _summary(module):
    """The subcommand's one-line help: its module docstring's first line, after the colon."""
    return module.__doc__.splitlines()[0].partition(": ")[2].rstrip(".")


def build_parser():
    """The argument parser with every subcommand."""
    parser = common.Parser(prog="tinyopt", description=DESCRIPTION,
                           epilog="tinyopt COMMAND --help lists a command's options.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     parser_class=common.Parser)
    for name, module in SUBCOMMANDS.items():
        summary = _summary(module)
        subparser = commands.add_parser(name, help=summary, description=module.__doc__,
                                        formatter_class=common.HelpFormatter)
        module.add_arguments(subparser)
        subparser.set_defaults(run=module.main, usage_error=subparser.error)
    return parser


def main(argv=None):
    """Entry point of the ``tinyopt`` command; returns the exit code (usage errors exit 2)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    module = SUBCOMMANDS[args.command]
    try:
        if hasattr(module, "check"):
            module.check(args)
        if hasattr(module, "OUTPUTS"):
            common.prepare_out(args, module.OUTPUTS)
        code = args.run(args)  # a check that fails returns 1
    except common.UsageError as error:
        args.usage_error(str(error))  # exits with status 2
    except (common.CommandError, ValueError, ImportError, FloatingPointError, OSError) as error:
        print(f"tinyopt {args.command}: error: {error}", file=sys.stderr)
        return 1
    return code or 0


__all__ = ["main", "build_parser", "SUBCOMMANDS"]
