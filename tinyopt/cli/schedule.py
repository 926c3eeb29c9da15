"""``tinyopt schedule``: plot learning-rate schedules, warmups shaded; PNG (SVG, PDF) and CSV.

Each schedule is ``NAME[:key=value,...]`` with the names of
``tinyopt.recipes.SCHEDULES``, sized by ``--steps``: ``cosine``,
``warmup-cosine:warmup_steps=50``, ``step:gamma=0.5``, ``onecycle`` ...
"""
import argparse
import csv

from .. import recipes
from . import common

DEFAULT_SCHEDULES = ("cosine", "warmup-cosine", "onecycle", "wsd")
OUTPUTS = common.outputs(("schedule.csv",), ("schedule",))


def schedule(text):
    """argparse type: a schedule spec, checked by building it."""
    try:
        return recipes.parse_schedule(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_arguments(parser):
    """The ``schedule`` options."""
    parser.add_argument("schedules", nargs="*", type=schedule, metavar="SCHEDULE",
                        help="schedules: " + ", ".join(recipes.SCHEDULES) +
                             ", each optionally NAME:key=value,... (default: " +
                             " ".join(DEFAULT_SCHEDULES) + ")")
    parser.add_argument("--steps", type=common.positive_int, default=1000,
                        help="steps to draw (default 1000)")
    parser.add_argument("--lr", type=common.positive_float, default=0.1,
                        help="the base (peak) learning rate (default 0.1)")
    parser.add_argument("--log", action="store_true", help="log-scaled learning-rate axis")
    common.add_output_arguments(parser, "tinyopt-output/schedule")


def _labels(chosen):
    return [recipe.text.partition("+")[2] for recipe in chosen]  # the text after "sgd+"


def check(args):
    """Usage errors: a schedule given twice."""
    common.check_unique(_labels(args.schedules), "schedule")


def main(args):
    """Write schedule.png (and other formats) and schedule.csv (one column per schedule)."""
    from .. import nn, optim
    from ..viz import plot_schedules, schedule_values
    chosen = args.schedules or [recipes.parse_schedule(name) for name in DEFAULT_SCHEDULES]
    labels = _labels(chosen)
    curves, warmups = {}, {}
    for label, recipe in zip(labels, chosen):
        optimizer = optim.SGD([nn.Parameter([0.0])], lr=args.lr)
        scheduler = recipe.build_scheduler(optimizer, args.steps)
        curves[label] = (lambda step: args.lr) if scheduler is None else scheduler
        warmups[label] = recipe.warmup_steps(args.steps)
    title = f"Learning-rate schedules, peak {args.lr:g}"
    files = common.save(plot_schedules(curves, args.steps, log_y=args.log, warmup=warmups,
                                       title=title), args.out, "schedule", args.format)
    with open(args.out / "schedule.csv", "w", newline="") as table:
        writer = csv.writer(table)
        writer.writerow(["step"] + list(curves))
        columns = [schedule_values(curve, args.steps) for curve in curves.values()]
        writer.writerows([step] + [f"{column[step]:.8g}" for column in columns]
                         for step in range(args.steps))
    common.report_written(args.out, files + ["schedule.csv"])
