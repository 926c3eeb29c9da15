"""``tinyopt schedule``: plot learning-rate schedules, warmups shaded; PNG (SVG, PDF) and CSV.

Each schedule is ``NAME[:key=value,...]`` with the names of
``tinyopt.recipes.SCHEDULES``, sized by ``--steps``: ``cosine``,
``warmup-cosine:warmup_steps=50``, ``step:gamma=0.5``, ``onecycle``,
``warmup`` (linear warmup, then constant) ... ``--panels`` draws one panel per
schedule (``--columns`` per row) instead of all in one; ``--labels`` and
``--title`` name them for a slide.

``plateau`` (``ReduceLROnPlateau``) has no formula: its rate depends on the
loss it watches. It is drawn fed a toy loss that relaxes towards a floor
proportional to the rate (as SGD's loss settles at a noise level set by its
rate): the loss stalls, the rate is halved, the loss falls again; its
label says so.
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
    parser.add_argument("--panels", action="store_true",
                        help="one panel per schedule instead of all in one")
    parser.add_argument("--columns", type=common.positive_int, default=3,
                        help="panels per row with --panels (default 3)")
    common.add_label_arguments(parser, "schedules")
    common.add_figure_arguments(parser, "Learning-rate schedules, peak LR")
    common.add_output_arguments(parser, "tinyopt-output/schedule")


def _names(chosen):
    return [recipe.text.partition("+")[2] for recipe in chosen]  # the text after "sgd+"


def check(args):
    """Usage errors: a schedule given twice, labels that do not match the schedules,
    --columns without --panels."""
    names = _names(args.schedules) or list(DEFAULT_SCHEDULES)
    common.check_unique(names, "schedule")
    common.labels(args, names, "schedules")
    if args.columns != 3 and not args.panels:
        raise common.UsageError("argument --columns: needs --panels")


PLATEAU_START, PLATEAU_FLOOR, PLATEAU_SLOPE = 2.0, 0.05, 0.5
"""The toy loss: it starts at 2 and relaxes towards 0.05 + 0.5 * lr / peak lr."""


def plateau_rates(scheduler, optimizer, steps):
    """The rates ``scheduler`` (a ``ReduceLROnPlateau``) sets over ``steps`` steps when it
    is fed the toy loss: each step the loss moves a fraction ``80 / steps`` of the way to
    its floor ``0.05 + 0.5 * lr / peak``, so it stalls at each rate until the rate drops."""
    peak, loss, rates = optimizer.param_groups[0]["lr"], PLATEAU_START, []
    relaxation = min(0.5, 80 / steps)
    for _ in range(steps):
        rate = optimizer.param_groups[0]["lr"]
        rates.append(rate)
        loss += relaxation * (PLATEAU_FLOOR + PLATEAU_SLOPE * rate / peak - loss)
        scheduler.step(loss)
    return rates


def main(args):
    """Write schedule.png (and other formats) and schedule.csv (one column per schedule)."""
    from .. import nn, optim
    from ..optim.lr_scheduler import ReduceLROnPlateau
    from ..viz import plot_schedules, schedule_values
    chosen = args.schedules or [recipes.parse_schedule(name) for name in DEFAULT_SCHEDULES]
    curves, warmups = {}, {}
    for label, recipe in zip(common.labels(args, _names(chosen), "schedules"), chosen):
        optimizer = optim.SGD([nn.Parameter([0.0])], lr=args.lr)
        scheduler = recipe.build_scheduler(optimizer, args.steps)
        if isinstance(scheduler, ReduceLROnPlateau):
            label = f"{label} (fed a toy loss)"
            curves[label] = plateau_rates(scheduler, optimizer, args.steps)
        else:
            curves[label] = (lambda step: args.lr) if scheduler is None else scheduler
        warmups[label] = recipe.warmup_steps(args.steps)
    title = common.title(args, f"Learning-rate schedules, peak {args.lr:g}")
    figure = plot_schedules(curves, args.steps, log_y=args.log, warmup=warmups, title=title,
                            panels=args.panels, columns=args.columns)
    files = common.save(figure, args.out, "schedule", args.format, args)
    with open(args.out / "schedule.csv", "w", newline="") as table:
        writer = csv.writer(table)
        writer.writerow(["step"] + list(curves))
        columns = [schedule_values(curve, args.steps) for curve in curves.values()]
        writer.writerows([step] + [f"{column[step]:.8g}" for column in columns]
                         for step in range(args.steps))
    common.report_written(args.out, files + ["schedule.csv"])
