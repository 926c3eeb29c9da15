"""What the subcommands share: a parser with one-line errors, argument types, data, model, output.

Usage errors exit with status 2 and one line, ``tinyopt race: error: argument
--landscape: invalid choice: 'x' (choose from ...)``; failures while running
(a missing checkpoint, an impossible combination, an ``--out`` that cannot be
written) exit with status 1 and one line of the same shape.

No run destroys another's results: a subcommand refuses to write into an
``--out`` folder that holds an earlier run's outputs unless ``--overwrite``
(or, for ``train``, ``--resume``) is given, and checks that it can write
there before any work starts.
"""
import argparse
import math
import sys
import tempfile
from pathlib import Path

from .. import recipes
from . import custom_optimizer, models

FORMATS = ("png", "svg", "pdf")
"""The figure formats: ``tinyopt.viz.style.FORMATS``, spelled out here so that ``--help``
need not load matplotlib (a test keeps the two equal)."""


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors are one line: the problem and the valid choices."""

    def error(self, message):
        """Exit with status 2 and one line (argparse's own message, which lists choices)."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


HelpFormatter = argparse.RawDescriptionHelpFormatter
"""Keeps the line breaks of a subcommand's description (its module docstring)."""


class CommandError(Exception):
    """A failure while running a subcommand, reported as one line with exit status 1."""


class UsageError(Exception):
    """An impossible combination of arguments, reported like argparse's errors (status 2)."""


def positive_int(text):
    """argparse type: an int >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive int, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive int, got {text}")
    return value


def non_negative_int(text):
    """argparse type: an int >= 0 (a random seed)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an int >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an int >= 0, got {text}")
    return value


def positive_float(text):
    """argparse type: a finite float > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def recipe(text):
    """argparse type: an optimizer recipe (``adam:lr=0.01+cosine``), a recipe name, or a
    class of your own (``my_module:MyOpt:lr=0.01+cosine``, see ``custom_optimizer``)."""
    try:
        if custom_optimizer.names_a_class(text):
            return custom_optimizer.parse(text)
        return recipes.parse_recipe(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


RECIPE_HELP = ("OPTIMIZER[:key=value,...][+SCHEDULE[:key=value,...]], or a class of your own, "
               "MODULE:CLASS[:key=value,...] (a tinyopt.optim.Optimizer subclass in a module "
               "on the Python path or in the current folder, or in a file path/to/file.py)")
"""How a recipe is written, for the options that take one."""


def size(text):
    """argparse type: ``"W,H"`` -> ``(W, H)`` inches, finite and > 0."""
    try:
        width, height = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be two numbers 'W,H' (inches), got "
                                         f"{text!r}") from None
    if not (0 < width < math.inf and 0 < height < math.inf):
        raise argparse.ArgumentTypeError(f"must be two numbers > 0 (inches), got {text!r}")
    return width, height


def point(text):
    """argparse type: ``"x,y"`` -> ``(x, y)`` finite floats."""
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be two numbers 'x,y', got {text!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return x, y


def check_unique(names, what):
    """Raise ``UsageError`` if a name comes twice (names label curves and table rows)."""
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise UsageError(f"{what} {twice[0]!r} is given twice: give each once")


def outputs(files, figures):
    """The names a subcommand writes: ``files``, and each figure in every format."""
    return tuple(files) + tuple(f"{figure}.{fmt}" for figure in figures for fmt in FORMATS)


def add_output_arguments(parser, default_out):
    """``--out``, ``--overwrite``, ``--format`` and ``--no-progress``."""
    parser.add_argument("--out", type=Path, default=Path(default_out),
                        help=f"output folder (default {default_out}); a folder holding an "
                             "earlier run's outputs is refused unless --overwrite")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier run's outputs in --out (they are deleted first)")
    parser.add_argument("--format", nargs="+", choices=FORMATS, default=["png"],
                        metavar="FMT", help="figure formats: png, svg, pdf (default png)")
    parser.add_argument("--no-progress", action="store_true",
                        help="hide the progress bar (it only shows on a terminal anyway)")


def add_figure_arguments(parser, title="a description of the run"):
    """``--title``, ``--figsize`` and ``--dpi`` for the figures a command writes."""
    parser.add_argument("--title", default=None,
                        help=f"the figure's title (default: {title}); '' for none")
    parser.add_argument("--figsize", type=size, default=None, metavar="W,H",
                        help="figure width and height in inches, e.g. 12,4 for a wide slide "
                             "(default: each figure's own; the panels are laid out anew)")
    parser.add_argument("--dpi", type=positive_float, default=None,
                        help="dots per inch of PNGs (default 100: a 12-inch figure is 1200 "
                             "pixels wide)")


def add_gif_arguments(parser, width=8.0, dpi=70):
    """``--gif-width`` and ``--gif-dpi`` for an animation (``save_trajectory_gif``)."""
    parser.add_argument("--gif-width", type=positive_float, default=width, metavar="INCHES",
                        help=f"GIF width in inches (default {width:g}); pixels: width x "
                             "--gif-dpi")
    parser.add_argument("--gif-dpi", type=positive_float, default=dpi,
                        help=f"GIF dots per inch (default {dpi})")


def add_label_arguments(parser, what, default=None):
    """``--labels``: a legend label for each of ``what`` (recipes, schedules); ``default``
    says what labels them otherwise (default: the names as written)."""
    parser.add_argument("--labels", nargs="+", default=None, metavar="LABEL",
                        help=f"legend labels, one per {what[:-1]} in order (default: "
                             f"{default or f'the {what} as written'})")


def labels(args, names, what):
    """``args.labels`` if given (one per name; a ``UsageError`` otherwise), else ``names``."""
    if args.labels is None:
        return list(names)
    if len(args.labels) != len(names):
        raise UsageError(f"argument --labels: {len(args.labels)} label(s) for {len(names)} "
                         f"{what}: give one per {what[:-1]}")
    check_unique(list(args.labels), "label")
    return list(args.labels)


def title(args, default):
    """The ``--title`` if given ('' for none), else ``default``."""
    return default if args.title is None else args.title


def add_spike_arguments(parser):
    """``--spikes`` and ``--skip-spikes``: a ``tinyopt.spikes.SpikeDetector`` in the run."""
    parser.add_argument("--spikes", type=positive_float, default=None, metavar="RELATIVE",
                        help="detect loss spikes: a step's loss above (1 + RELATIVE) times the "
                             "median of the last 20, e.g. 2; they are crossed in the figures "
                             "and counted in the output")
    parser.add_argument("--skip-spikes", action="store_true",
                        help="with --spikes: undo the update that caused a spike and skip "
                             "the batch, as large-model training does")


def check_spike_arguments(args):
    """Usage errors: ``--skip-spikes`` without ``--spikes``."""
    if args.skip_spikes and args.spikes is None:
        raise UsageError("argument --skip-spikes: needs --spikes RELATIVE")


def spike_callbacks(args):
    """``[SpikeDetector]`` as ``--spikes`` asks, or ``[]``."""
    if args.spikes is None:
        return []
    from ..spikes import SpikeDetector
    return [SpikeDetector(window=20, relative=args.spikes, skip=args.skip_spikes)]


def spike_summary(history):
    """``"3 loss spikes (steps 12, 40, 41)"`` (skipped ones say so), or None if none."""
    spikes = history.spikes if hasattr(history, "spikes") else history.get("spikes", [])
    if not spikes:
        return None
    steps = ", ".join(str(spike["step"] + 1) for spike in spikes[:8]) + \
        (", ..." if len(spikes) > 8 else "")
    skipped = ", skipped" if spikes[0]["skipped"] else ""
    return f"{len(spikes)} loss spike{'s' * (len(spikes) > 1)} (step{'s' * (len(spikes) > 1)} " \
           f"{steps}{skipped})"


def add_model_arguments(parser, dataset="moons", hidden=64, batch_size=32):
    """``--dataset``, ``--data-dir``, ``--model``, ``--hidden``, ``--batch-size``, ``--seed``."""
    models.add_arguments(parser, dataset)
    parser.add_argument("--hidden", type=positive_int, default=hidden,
                        help=f"width of the two hidden layers (default {hidden})")
    parser.add_argument("--batch-size", type=positive_int, default=batch_size,
                        help=f"samples per batch (default {batch_size})")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="random seed, an int >= 0 (default 0)")


def prepare_out(args, names):
    """Make ``args.out`` ready before any work: a writable folder holding no earlier run.

    ``names`` are the files the subcommand writes. If some already exist there,
    ``--overwrite`` deletes them first, ``--resume`` (train) keeps them, and
    otherwise this raises ``CommandError``: one run never silently destroys another.
    """
    out = args.out
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        raise CommandError(f"cannot write into --out {out}: {error.strerror or error}") from None
    earlier = [name for name in names if (out / name).exists()]
    if not earlier or getattr(args, "resume", False):
        return
    if not args.overwrite:
        listed = ", ".join(earlier[:3]) + (", ..." if len(earlier) > 3 else "")
        resume = "--resume to continue it, " if hasattr(args, "resume") else ""
        raise CommandError(f"{out} holds an earlier run's outputs ({listed}): pass {resume}"
                           "--overwrite to replace them, or choose another --out")
    for name in earlier:
        (out / name).unlink()


DIVERGENCE_FACTOR = 2.0
"""A run whose final training loss exceeds this times its first step's loss diverged."""


def divergence(history, failure=None):
    """Why a training run counts as diverged (a sentence), or None if it did not.

    It diverged when training stopped on a non-finite value (``failure``), or when
    its last epoch's training loss ended above ``DIVERGENCE_FACTOR`` times the loss
    of its first step (worse than the untrained model: the rate is too high).
    """
    if failure:
        return failure
    first, last = history.steps["loss"][:1], history.epochs["train_loss"][-1:]
    if first and last and not last[0] <= DIVERGENCE_FACTOR * first[0]:
        return (f"the training loss rose from {first[0]:.4g} at the first step to "
                f"{last[0]:.4g}: the learning rate is probably too high")
    return None


def warn(command, message):
    """One warning line on stderr, shaped like the error lines."""
    print(f"tinyopt {command}: warning: {message}", file=sys.stderr)


def progress_bar(args, total, description):
    """A tqdm bar on stderr, shown on a terminal unless ``--no-progress``."""
    from tqdm.auto import tqdm
    hidden = args.no_progress or not sys.stderr.isatty()
    return tqdm(total=total, desc=description, disable=hidden, leave=False, file=sys.stderr)


def loaders(X_train, y_train, X_test, y_test, batch_size, seed):
    """A shuffled training loader (order fixed by ``seed`` and the epoch) and a test loader."""
    from .. import data
    train = data.DataLoader(data.TensorDataset(X_train, y_train), batch_size=batch_size,
                            shuffle=True, seed=seed)
    test = data.DataLoader(data.TensorDataset(X_test, y_test), batch_size=512)
    return train, test


def optimizer_lr(chosen, lr=None):
    """The rate the recipe ``chosen`` gets on the MLP if it names none: ``lr`` if given,
    else its family's (0.1 for SGD-like methods, 1e-3 for Adam-like ones, a third of that
    for Lion)."""
    return lr if lr is not None else recipes.default_lr(chosen.optimizer, lr_sgd=0.1,
                                                        lr_adaptive=1e-3)


def save(figure, out, name, formats, args=None):
    """Save ``figure`` as ``out/name.<fmt>`` for every format; returns the file names.

    With ``args`` of a command that has ``add_figure_arguments``, its ``--figsize``
    and ``--dpi`` apply.
    """
    from ..viz import artists_outside, save_figure
    size, dpi = (args.figsize, args.dpi) if args is not None else (None, None)
    written = [path.name for path in save_figure(figure, Path(out) / name, formats, dpi=dpi,
                                                 size=size)]
    clipped = artists_outside(figure) if size is not None else []
    if clipped:
        warn(args.command, f"--figsize {size[0]:g},{size[1]:g} is too small for {name}: "
                           f"{clipped[0]}{' (and more)' if len(clipped) > 1 else ''}")
    return written


def report_written(out, files):
    """Print where the outputs went, as the last line of every command."""
    print(f"wrote {', '.join(files)} to {out}/")
