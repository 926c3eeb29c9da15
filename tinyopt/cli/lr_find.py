"""``tinyopt lr-find``: the learning-rate range test on the command line's MLP, and its plot.

The rate grows geometrically from ``--start-lr`` to ``--end-lr`` over
``--iterations`` batches while the loss is recorded (``tinyopt.optim.LRFinder``);
the test stops early once the smoothed loss runs away. The suggestion is
the rate where the smoothed loss falls fastest: a starting rate, or the
peak of a one-cycle schedule. Writes ``lr_find.png`` and ``lr_find.csv``.
"""
import argparse
import csv

import numpy

from . import common, models

SKIP_START, SKIP_END = 10, 5
"""Points left out of the suggestion at each end (a noisy start, the blow-up at the end)."""
FAST_ITERATIONS = 30
OUTPUTS = common.outputs(("lr_find.csv",), ("lr_find",))


def iterations(text):
    """argparse type: enough iterations to leave points after the skipped ends."""
    value = common.positive_int(text)
    least = SKIP_START + SKIP_END + 5
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
    return value


def add_arguments(parser):
    """The ``lr-find`` options."""
    common.add_model_arguments(parser)
    parser.add_argument("--optimizer", type=common.recipe, default=common.recipe("momentum"),
                        metavar="RECIPE",
                        help="optimizer and its settings, e.g. adam:betas=(0.9,0.99), or "
                             "MODULE:CLASS[:key=value,...] of your own "
                             "(default momentum: SGD with momentum 0.9; no schedule)")
    parser.add_argument("--start-lr", type=common.positive_float, default=1e-5,
                        help="the first rate (default 1e-5)")
    parser.add_argument("--end-lr", type=common.positive_float, default=10.0,
                        help="the last rate (default 10)")
    parser.add_argument("--iterations", type=iterations, default=100,
                        help="batches in the sweep (default 100)")
    parser.add_argument("--fast", action="store_true",
                        help=f"a quick sweep of {FAST_ITERATIONS} batches (for tests)")
    common.add_figure_arguments(parser, "the recipe and the data set")
    common.add_output_arguments(parser, "tinyopt-output/lr-find")


class _Ticking:
    """A loader that moves a progress bar on by one for every batch it yields."""

    def __init__(self, loader, bar):
        self.loader, self.bar = loader, bar

    def __iter__(self):
        for batch in self.loader:
            self.bar.update(1)
            yield batch

    def __len__(self):
        return len(self.loader)


def check(args):
    """Usage errors: a sweep that does not go up, a CNN on points."""
    models.check(args)
    if not args.start_lr < args.end_lr:
        raise common.UsageError(f"--start-lr {args.start_lr:g} must be below --end-lr "
                                f"{args.end_lr:g}")


def main(args):
    """Run the range test, then write lr_find.png (and other formats) and lr_find.csv."""
    import tinyopt
    from .. import nn
    from ..optim import LRFinder
    from ..viz import plot_lr_finder
    if args.optimizer.schedule != "constant":
        raise common.CommandError("the range test sets the rate itself: give --optimizer "
                                  "without a +SCHEDULE")
    steps = FAST_ITERATIONS if args.fast else args.iterations
    tinyopt.manual_seed(args.seed)
    X_train, y_train, X_test, y_test, classes = models.load(args)
    model = models.build(args.model, X_train, args.hidden, classes)
    train_loader, _ = common.loaders(X_train, y_train, X_test, y_test, args.batch_size,
                                     args.seed)
    optimizer, _ = args.optimizer.with_default_lr(args.start_lr).build(model.parameters(), steps)
    finder = LRFinder(model, optimizer, nn.CrossEntropyLoss())
    # the sweep is meant to end in a blow-up: its overflows are expected, not news
    with common.progress_bar(args, steps, "lr-find") as bar, \
            numpy.errstate(over="ignore", invalid="ignore"):
        finder.range_test(_Ticking(train_loader, bar), start_lr=args.start_lr,
                          end_lr=args.end_lr, num_iter=steps)
    kept = len(finder.history["lr"])
    if kept < SKIP_START + SKIP_END + 3:
        raise common.CommandError(f"the loss ran away after {kept} batches, too soon for a "
                                  f"suggestion: lower --end-lr or --start-lr")
    suggestion = finder.suggestion(SKIP_START, SKIP_END)
    title = common.title(args, f"Range test: {args.optimizer.describe()} on {args.dataset}")
    figure = plot_lr_finder(finder, SKIP_START, SKIP_END, title=title)
    files = common.save(figure, args.out, "lr_find", args.format, args)
    with open(args.out / "lr_find.csv", "w", newline="") as table:
        writer = csv.writer(table)
        writer.writerow(["lr", "loss", "smoothed_loss"])
        writer.writerows([f"{lr:.6g}", f"{raw:.6g}", f"{smoothed:.6g}"] for lr, raw, smoothed
                         in zip(finder.history["lr"], finder.raw_losses, finder.history["loss"]))
    stopped = "" if kept == steps else f" (the loss ran away after {kept} of {steps} batches)"
    print(f"suggested learning rate for {args.optimizer.text}: {suggestion:.3g}{stopped}")
    common.report_written(args.out, files + ["lr_find.csv"])
