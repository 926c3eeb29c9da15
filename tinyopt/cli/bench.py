"""``tinyopt bench``: benchmarks against PyTorch, each measured in the same run.

    tinyopt bench train   one epoch of the same model (mlp, cnn, lstm, attention) in both, and the ratio
    tinyopt bench step    one optimizer step: numpy vs numba vs PyTorch, against bandwidth probes
    tinyopt bench dist    training steps on 1, 2, 4 MPI ranks: DDP vs ZeRO-1, state per rank

The benchmarks live in ``tinyopt.bench``; this file only wires their
``add_arguments(parser)`` and ``main(args)`` into the command line.
"""
from ..bench import dist, step, train
from . import common

SUITES = {"train": train, "step": step, "dist": dist}


def add_arguments(parser):
    """The ``bench`` suites, each with its own options."""
    suites = parser.add_subparsers(dest="suite", metavar="SUITE", required=True,
                                   parser_class=common.Parser)
    for name, module in SUITES.items():
        suite = suites.add_parser(name, help=module.__doc__.splitlines()[0].partition(": ")[2],
                                  description=module.__doc__,
                                  formatter_class=common.HelpFormatter)
        module.add_arguments(suite)


def main(args):
    """Run the chosen suite."""
    SUITES[args.suite].main(args)
