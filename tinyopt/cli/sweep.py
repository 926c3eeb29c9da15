"""``tinyopt sweep``: train one recipe at several values of lr or batch_size; metric vs value.

``--param lr --values 1e-3,1e-2,0.1,1`` trains the same model with the same
initial weights and batches once per value, ``--seeds 0,1,2`` repeats each
value per seed (another initialisation and batch order) for error bars. A
run diverged when its loss became non-finite or its last epoch's training
loss is above its first step's loss. The
figure (``sweep.png``) shows the final and best training loss and test
accuracy against the value on log axes, the diverged values crossed:
the largest learning rate that trains, and how sharply training fails
beyond it.

``--param batch_size --values 16,64,256 --scale-lr linear`` is the linear
scaling rule: each run's rate is the recipe's rate times
batch_size / --batch-size (``sqrt``: its square root, as for Adam-like
methods; ``none``: the same rate for every batch size). ``results.json``
holds every run's numbers and the rate it used; ``--fast`` takes seconds.
Some diverged runs are a result (the edge of trainable rates); when every run
diverged the command exits with status 1. ``--model`` and ``--dataset`` as in
``compare``; ``--title``, ``--figsize``, ``--dpi`` shape the figure.
"""
import argparse
import json
import math
from dataclasses import replace

import numpy

from . import common, models

PARAMS = ("lr", "batch_size")
SCALE_LR = ("linear", "sqrt", "none")
DEFAULTS = {"epochs": 10, "hidden": 32}
FAST = {"epochs": 2, "hidden": 16}
"""What ``--fast`` changes (for tests and CI)."""


def _numbers(kind):
    """argparse type: a comma-separated list of positive ``kind`` values."""
    check = common.positive_int if kind is int else common.positive_float

    def parse(text):
        values = [check(part.strip()) for part in text.split(",")]
        if len(set(values)) != len(values):
            raise argparse.ArgumentTypeError(f"a value is given twice in {text!r}")
        return values
    return parse


def _seeds(text):
    """argparse type: comma-separated ints."""
    try:
        seeds = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be ints 'a,b,...', got {text!r}") from None
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"a seed is given twice in {text!r}")
    return seeds


OUTPUTS = common.outputs(("results.json",), ("sweep",))
"""What a sweep writes into ``--out`` (an earlier sweep's are kept unless ``--overwrite``)."""


def add_arguments(parser):
    """The ``sweep`` options."""
    parser.add_argument("--param", choices=PARAMS, required=True,
                        help="the swept setting: lr or batch_size")
    parser.add_argument("--values", type=_numbers(float), required=True, metavar="V,V,...",
                        help="the values, comma-separated, e.g. 1e-3,1e-2,0.1,1 "
                             "(positive ints for batch_size)")
    parser.add_argument("--seeds", type=_seeds, default=[0], metavar="S,S,...",
                        help="seeds, comma-separated (default 0); several give error bars")
    parser.add_argument("--optimizer", type=common.recipe, default=common.recipe("momentum"),
                        metavar="RECIPE", help="the recipe, " + common.RECIPE_HELP +
                                               " (default momentum)")
    parser.add_argument("--lr", type=common.positive_float, default=None,
                        help="the base rate for a batch_size sweep when the recipe names none "
                             "(default 0.1 for SGD-like methods, 1e-3 for Adam-like ones)")
    parser.add_argument("--scale-lr", choices=SCALE_LR, default="none",
                        help="batch_size sweep: rate times batch_size/--batch-size (linear), "
                             "its square root (sqrt), or unchanged (none, the default)")
    parser.add_argument("--epochs", type=common.positive_int, default=None,
                        help=f"epochs per run (default {DEFAULTS['epochs']}; "
                             f"{FAST['epochs']} with --fast)")
    parser.add_argument("--fast", action="store_true",
                        help="seconds: 2 epochs of a narrow model (tests, CI)")
    models.add_arguments(parser, "moons")
    parser.add_argument("--hidden", type=common.positive_int, default=None,
                        help=f"width of the two hidden layers (default {DEFAULTS['hidden']}; "
                             f"{FAST['hidden']} with --fast)")
    parser.add_argument("--batch-size", type=common.positive_int, default=32,
                        help="samples per batch; a batch_size sweep's reference for "
                             "--scale-lr (default 32)")
    common.add_figure_arguments(parser, "the data set, recipe, model and epochs")
    common.add_output_arguments(parser, "tinyopt-output/sweep")


def check(args):
    """Usage errors: a CNN on points, a data folder for a built-in set."""
    models.check(args)


def _runs(args):
    """``(value, seed, recipe, batch_size)`` per run; a ``CommandError`` for a contradiction."""
    named_lr = args.optimizer.settings.get("lr")
    if args.param == "lr":
        if named_lr is not None or args.lr is not None:
            raise common.CommandError("--param lr sweeps the rate: drop the recipe's lr= and "
                                      "--lr")
        if args.scale_lr != "none":
            raise common.CommandError("--scale-lr applies to --param batch_size only")
        return [(value, seed, replace(args.optimizer, settings={**args.optimizer.settings,
                                                                "lr": value}), args.batch_size)
                for value in args.values for seed in args.seeds]
    if any(value != int(value) for value in args.values):
        raise common.CommandError(f"--values for batch_size must be ints, got {args.values}")
    if named_lr is not None and args.lr is not None:
        raise common.CommandError("--lr and the recipe's lr=: give the rate once")
    base = named_lr if named_lr is not None else common.optimizer_lr(args.optimizer, args.lr)
    runs = []
    for value in args.values:
        ratio = value / args.batch_size
        lr = base * {"linear": ratio, "sqrt": math.sqrt(ratio), "none": 1.0}[args.scale_lr]
        recipe = replace(args.optimizer, settings={**args.optimizer.settings, "lr": lr})
        runs += [(value, seed, recipe, int(value)) for seed in args.seeds]
    return runs


def _train(recipe, batch_size, seed, hidden, epochs, args):
    """One run's result dict: final and best metrics, or ``diverged``."""
    import tinyopt
    from .. import nn
    from ..train import History, fit
    tinyopt.manual_seed(seed)
    X_train, y_train, X_test, y_test, classes = models.load(args, seed)
    model = models.build(args.model, X_train, hidden, classes)
    train_loader, test_loader = common.loaders(X_train, y_train, X_test, y_test, batch_size,
                                               seed)
    total_steps = epochs * len(train_loader)
    optimizer, scheduler = recipe.build(model.parameters(), total_steps)
    history = History()
    try:  # a diverging run overflows on its way to a non-finite loss: fit reports that
        with numpy.errstate(over="ignore", invalid="ignore"):
            fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, epochs=epochs,
                val_loader=test_loader, progress=False, history=history, scheduler=scheduler,
                scheduler_interval="batch")
    except FloatingPointError as error:
        return {"diverged": str(error), "recipe": recipe.describe(total_steps)}
    epochs_record, first = history.epochs, history.steps["loss"][0]
    if epochs_record["train_loss"][-1] > first:
        return {"diverged": f"the training loss rose from {first:.3g} (first step) to "
                            f"{epochs_record['train_loss'][-1]:.3g} (last epoch)",
                "recipe": recipe.describe(total_steps)}
    return {"recipe": recipe.describe(total_steps),
            "final_train_loss": epochs_record["train_loss"][-1],
            "best_train_loss": min(epochs_record["train_loss"]),
            "final_test_accuracy": epochs_record["val_accuracy"][-1],
            "best_test_accuracy": max(epochs_record["val_accuracy"])}


def main(args):
    """Train every value x seed, then write sweep.png and results.json and print a table."""
    from ..viz import plot_sweep
    from ..viz.sweeps import sweep_summary
    fast = FAST if args.fast else {}
    epochs = args.epochs or fast.get("epochs", DEFAULTS["epochs"])
    hidden = args.hidden or fast.get("hidden", DEFAULTS["hidden"])
    runs, results = _runs(args), []
    with common.progress_bar(args, len(runs), "sweep") as bar:
        for value, seed, recipe, batch_size in runs:
            outcome = _train(recipe, batch_size, seed, hidden, epochs, args)
            results.append({"value": int(value) if args.param == "batch_size" else value,
                            "seed": seed, "lr": recipe.settings["lr"], **outcome})
            bar.update(1)
    scaled = f", lr scaled {args.scale_lr}" if args.param == "batch_size" else ""
    title = common.title(args, f"{args.dataset}: {args.optimizer.text}, "
                               f"{args.model.describe(hidden)}, {epochs} epochs{scaled}")
    files = common.save(plot_sweep(results, args.param, title=title), args.out, "sweep",
                        args.format, args)
    (args.out / "results.json").write_text(json.dumps(
        {"param": args.param, "values": args.values, "seeds": args.seeds, "epochs": epochs,
         "hidden": hidden, "model": args.model.describe(hidden), "dataset": args.dataset,
         "scale_lr": args.scale_lr,
         "results": results, "summary": sweep_summary(results)}, indent=1))
    for row in sweep_summary(results):
        diverged = f"   diverged {row['diverged']}/{row['runs']}" if row["diverged"] else ""
        trained = (f"train loss {row['final_train_loss']:.4f}   test accuracy "
                   f"{row['final_test_accuracy']:.3f}") if "final_train_loss" in row else ""
        print(f"  {args.param} {row['value']:<10g} {trained}{diverged}")
    common.report_written(args.out, files + ["results.json"])
    if all("diverged" in result for result in results):
        raise common.CommandError(f"every run diverged: no {args.param} of {args.values} trains")
