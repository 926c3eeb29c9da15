"""``tinyopt compare``: train one model with several optimizer recipes and write a report.

Every recipe starts from the same initial weights and sees the same batches
in the same order, so the only difference is the optimizer and its
schedule. The report (``report.md``) shows the loss and accuracy curves
(``curves.png``) and a results table (also ``results.png``, and
``results.json`` with every step's record): the final training loss, test
loss and accuracy, the steps until the smoothed training loss first fell
below a target, and the wall time; then every setting needed to run it
again, each schedule with every setting it ran with. The default, five
recipes on the spirals, takes well under a minute on a laptop; ``--fast``
takes seconds. A recipe that diverges (a non-finite loss, or a training loss
ending above twice its first step's) is flagged in the table, the figures and
a warning; the others run on, and the command exits with status 1 only when
every recipe diverged. ``--spikes`` crosses loss spikes in the curves and
counts them in the table's recipe cell and the output.

``--model`` and ``--dataset`` choose the network and the data
(``tinyopt.cli.models``: linear, MLPs of any widths, a CNN; MNIST from a local
IDX copy); ``--labels``, ``--title``, ``--raw-loss``, ``--figsize`` and
``--dpi`` shape the figure for a slide.
"""
import json
import platform
import time

import numpy

from .. import recipes
from . import common, models

DEFAULTS = {"dataset": "spirals", "epochs": 40, "hidden": 64, "batch_size": 32,
            "target_loss": 0.2}
FAST = {"epochs": 2, "hidden": 16}
"""What ``--fast`` changes (for tests and CI)."""
SMOOTHING = 0.9
"""The EMA factor of the smoothed training loss (curves and steps to target)."""
OUTPUTS = common.outputs(("report.md", "results.json"), ("curves", "results"))


def add_arguments(parser):
    """The ``compare`` options."""
    parser.add_argument("--recipes", nargs="+", type=common.recipe, metavar="RECIPE",
                        default=None,
                        help="recipes to compare: a name (" + ", ".join(recipes.RECIPES) +
                             ") or " + common.RECIPE_HELP + " (default: " +
                             " ".join(recipes.DEFAULT_RECIPES) + ")")
    models.add_arguments(parser, DEFAULTS["dataset"])
    parser.add_argument("--epochs", type=common.positive_int, default=None,
                        help=f"epochs per recipe (default {DEFAULTS['epochs']}; "
                             f"{FAST['epochs']} with --fast)")
    parser.add_argument("--hidden", type=common.positive_int, default=None,
                        help=f"width of the two hidden layers (default {DEFAULTS['hidden']}; "
                             f"{FAST['hidden']} with --fast)")
    parser.add_argument("--batch-size", type=common.positive_int,
                        default=DEFAULTS["batch_size"],
                        help=f"samples per batch (default {DEFAULTS['batch_size']})")
    parser.add_argument("--target-loss", type=common.positive_float,
                        default=DEFAULTS["target_loss"],
                        help="report the steps until the smoothed training loss is below this "
                             f"(default {DEFAULTS['target_loss']})")
    parser.add_argument("--seed", type=common.non_negative_int, default=0,
                        help="random seed, an int >= 0 (default 0)")
    parser.add_argument("--fast", action="store_true",
                        help="seconds, not a minute: 2 epochs of a narrow model (tests, CI)")
    parser.add_argument("--raw-loss", action="store_true",
                        help="draw each step's unsmoothed training loss, faint, under the "
                             "smoothed curve")
    common.add_label_arguments(parser, "recipes", "each recipe's settings, e.g. SGD(lr=0.1)")
    common.add_spike_arguments(parser)
    common.add_figure_arguments(parser, "the data set, model, epochs and batch size")
    common.add_output_arguments(parser, "tinyopt-output/compare")


def check(args):
    """Usage errors: a recipe given twice, labels that do not match the recipes, a CNN on
    points, --skip-spikes without --spikes."""
    chosen = [recipe.text for recipe in args.recipes or []]
    common.check_unique(chosen, "recipe")
    common.labels(args, chosen or recipes.DEFAULT_RECIPES, "recipes")
    models.check(args)
    common.check_spike_arguments(args)


def _settings(args):
    """The resolved settings of this run (the defaults filled in)."""
    fast = FAST if args.fast else {}
    chosen = args.recipes or [recipes.parse_recipe(name) for name in recipes.DEFAULT_RECIPES]
    return {"dataset": args.dataset, "model": args.model,
            "epochs": args.epochs or fast.get("epochs", DEFAULTS["epochs"]),
            "hidden": args.hidden or fast.get("hidden", DEFAULTS["hidden"]),
            "batch_size": args.batch_size, "target_loss": args.target_loss, "seed": args.seed,
            "data_dir": args.data_dir, "spikes": args.spikes,
            "recipes": [recipe.with_default_lr(common.optimizer_lr(recipe))
                        for recipe in chosen]}


def steps_to_target(losses, target, smoothing=SMOOTHING):
    """The first step (1-based) whose smoothed loss is below ``target``; None if never."""
    from ..viz.curves import smooth
    below = (smooth(losses, smoothing) < target).nonzero()[0]
    return int(below[0]) + 1 if len(below) else None


def _warm_up(recipe, model):
    """One step of ``recipe`` on a throwaway copy of ``model``'s weights.

    A compiled executor (numba) compiles or loads its kernel on an optimizer's
    first step; doing that here keeps it out of the recipe's wall time.
    """
    from .. import backend
    from ..nn import Parameter
    copies = [Parameter(param.array.copy()) for param in model.parameters()]
    for copy in copies:
        copy.grad = backend.xp.zeros_like(copy.array)
    recipe.build_optimizer(copies).step()


def _run_recipe(recipe, settings, data, bar, callbacks):
    """Train a fresh model with ``recipe``; returns ``(history, seconds, failure or None,
    total steps)``."""
    import tinyopt
    from .. import nn
    from ..train import History, fit
    X_train, y_train, X_test, y_test, classes = data
    tinyopt.manual_seed(settings["seed"])  # the same initial weights for every recipe
    model = models.build(settings["model"], X_train, settings["hidden"], classes)
    train_loader, test_loader = common.loaders(X_train, y_train, X_test, y_test,
                                               settings["batch_size"], settings["seed"])
    total_steps = settings["epochs"] * len(train_loader)
    optimizer, scheduler = recipe.build(model.parameters(), total_steps)
    _warm_up(recipe, model)
    history, start = History(), time.perf_counter()
    try:  # a diverging recipe overflows on its way to a non-finite loss: fit reports that
        with numpy.errstate(over="ignore", invalid="ignore"):
            for epoch in range(settings["epochs"]):
                fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, epochs=1,
                    val_loader=test_loader, progress=False, history=history,
                    scheduler=scheduler, scheduler_interval="batch", callbacks=callbacks)
                history.epochs["epoch"][-1] = epoch
                bar.update(1)
    except FloatingPointError as error:
        return history, time.perf_counter() - start, str(error), total_steps
    return history, time.perf_counter() - start, None, total_steps


def _result(recipe, history, seconds, failure, target, total_steps):
    """One recipe's results as a dict (for results.json and the table)."""
    epochs = history.epochs
    result = {"recipe": recipe.text, "settings": recipe.describe(total_steps),
              "steps": len(history.steps["loss"]), "seconds": seconds,
              "spikes": len(history.spikes)}
    diverged = common.divergence(history, failure)
    if diverged or not epochs["val_loss"]:
        return {**result, "diverged": diverged or "no epoch finished"}
    return {**result, "final_train_loss": epochs["train_loss"][-1],
            "test_loss": epochs["val_loss"][-1], "test_accuracy": epochs["val_accuracy"][-1],
            "steps_to_target": steps_to_target(history.steps["loss"], target)}


def _best(results):
    """The index of the best result: highest test accuracy, then lowest test loss (None if
    every recipe diverged)."""
    finished = [index for index, result in enumerate(results) if "diverged" not in result]
    return min(finished, default=None,
               key=lambda index: (-results[index]["test_accuracy"], results[index]["test_loss"]))


TABLE_COLUMNS = ("recipe", "final train loss", "test loss", "test accuracy",
                 "steps to loss < {target:g}", "wall time")


def table_rows(results):
    """The results as table cells (strings), one row per recipe."""
    rows = []
    for result in results:
        wall_time = f"{result['seconds']:.1f} s"
        if "diverged" in result:
            rows.append([result["recipe"], "diverged", "-", "-", "-", wall_time])
            continue
        reached = result["steps_to_target"]
        rows.append([result["recipe"], f"{result['final_train_loss']:.4f}",
                     f"{result['test_loss']:.4f}", f"{100 * result['test_accuracy']:.1f} %",
                     f"{reached} of {result['steps']}" if reached else "not reached",
                     wall_time])
    return rows


def _markdown(settings, results, columns, rows, figures, data_sizes, argv):
    """The report: what ran, the table, the figures, and every setting."""
    import tinyopt
    model = settings["model"].describe(settings["hidden"])
    lines = ["# tinyopt compare", "",
             f"The same {model} network trained on **{settings['dataset']}** "
             f"({data_sizes[0]} training and {data_sizes[1]} test samples) for "
             f"{settings['epochs']} epochs with {len(results)} optimizer recipes: same initial "
             "weights, same batches in the same order.", "",
             "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join([f"`{row[0]}`"] + row[1:]) + " |" for row in rows]
    lines += ["", f"Steps to target: the first step at which the training loss, smoothed with "
              f"an exponential moving average ({SMOOTHING}), fell below "
              f"{settings['target_loss']:g}. Wall time: training and evaluation of each "
              "recipe, after a warm-up step that compiles its kernel.", ""]
    spikes = [f"`{result['recipe']}` {result['spikes']}" for result in results]
    if settings["spikes"] is not None:
        lines += [f"Loss spikes (a step's loss above {1 + settings['spikes']:g} times the "
                  f"median of the last 20): {', '.join(spikes)}.", ""]
    lines += [f"![{name}]({name})" for name in figures] + ["", "## Settings", ""]
    lines += [f"- {key}: {settings[key]}" for key in ("dataset", "epochs", "hidden",
                                                        "batch_size", "target_loss", "seed")]
    lines += [f"- model: {model}, cross-entropy loss; schedules step after every batch "
              "(a plateau schedule watches each batch's loss)", "- recipes:"]
    lines += [f"  - `{result['recipe']}`: {result['settings']}" for result in results]
    lines += [f"- command: `tinyopt {' '.join(argv)}`",
              f"- tinyopt {tinyopt.__version__}, numpy {numpy.__version__}, Python "
              f"{platform.python_version()}, {platform.machine()}", ""]
    return "\n".join(lines)


def main(args):
    """Run every recipe, then write report.md, curves.png, results.png and results.json."""
    from ..viz import plot_comparison, plot_table
    settings = _settings(args)
    data = models.load_data(settings["dataset"], settings["seed"], settings["data_dir"],
                            flatten=settings["model"].kind != "cnn")
    histories, results = {}, []
    with common.progress_bar(args, len(settings["recipes"]) * settings["epochs"],
                             "compare") as bar:
        for recipe in settings["recipes"]:
            bar.set_description(recipe.text)
            history, seconds, failure, total_steps = _run_recipe(
                recipe, settings, data, bar, common.spike_callbacks(args))
            histories[recipe.text] = history
            results.append(_result(recipe, history, seconds, failure, settings["target_loss"],
                                   total_steps))
    columns = [column.format(target=settings["target_loss"]) for column in TABLE_COLUMNS]
    rows = table_rows(results)
    labels = common.labels(args, [recipe.describe() for recipe in settings["recipes"]],
                           "recipes")
    finished = {label: histories[result["recipe"]] for label, result in zip(labels, results)
                if "diverged" not in result}
    diverged = [result["recipe"] for result in results if "diverged" in result]
    for result in results:
        if "diverged" in result:
            common.warn("compare", f"recipe {result['recipe']!r} diverged: {result['diverged']}")
    figures = []
    if finished:
        model = settings["model"].describe(settings["hidden"])
        title = common.title(args, f"{settings['dataset']}: {model}, {settings['epochs']} "
                                   f"epochs, batch {settings['batch_size']}")
        if diverged:
            title += f"\ndiverged, not drawn: {', '.join(diverged)}"
        figures += common.save(plot_comparison(finished, smoothing=SMOOTHING, title=title,
                                               raw_loss=args.raw_loss),
                               args.out, "curves", args.format, args)
    figures += common.save(plot_table(columns, rows, best_row=_best(results)), args.out,
                           "results", args.format)
    pngs = [name for name in figures if name.endswith(".png")] or figures
    (args.out / "report.md").write_text(_markdown(settings, results, columns, rows, pngs,
                                                  (len(data[0]), len(data[2])), args.argv))
    (args.out / "results.json").write_text(json.dumps(
        {"settings": {**settings, "recipes": [recipe.text for recipe in settings["recipes"]],
                      "model": settings["model"].describe(settings["hidden"]),
                      "data_dir": None if args.data_dir is None else str(args.data_dir)},
         "results": results,
         "histories": {name: history.to_dict() for name, history in histories.items()}},
        indent=1))
    for row, result, history in zip(rows, results, histories.values()):
        print(f"  {row[0]:<24} test accuracy {row[3]:>8}   train loss {row[1]:>8}   {row[5]:>7}")
        if common.spike_summary(history):
            print(f"  {'':<24} {common.spike_summary(history)}")
    common.report_written(args.out, ["report.md"] + figures + ["results.json"])
    if not finished:
        raise common.CommandError(f"every recipe diverged ({', '.join(diverged)}): lower the "
                                  "learning rates")
