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

DATASETS = ("moons", "spirals", "circles", "blobs", "digits")
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
    """argparse type: an optimizer recipe (``adam:lr=0.01+cosine``) or a recipe name."""
    try:
        return recipes.parse_recipe(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


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


def add_model_arguments(parser, dataset="moons", hidden=64, batch_size=32):
    """``--dataset``, ``--hidden``, ``--batch-size`` and ``--seed``."""
    parser.add_argument("--dataset", choices=DATASETS, default=dataset,
                        help=f"built-in data set (default {dataset}; digits needs scikit-learn)")
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


def load_data(dataset, seed):
    """``(X_train, y_train, X_test, y_test, classes)`` for a built-in data set name."""
    from .. import data
    if dataset == "digits":
        X_train, y_train, X_test, y_test = data.load_digits(seed=seed)
        return X_train, y_train, X_test, y_test, 10
    makers = {"moons": data.make_moons, "spirals": data.make_spirals,
              "circles": data.make_circles, "blobs": data.make_blobs}
    X, y = makers[dataset](n_samples=1000, seed=seed)
    split = 800
    classes = int(y.numpy().max()) + 1
    return X[:split], y[:split], X[split:], y[split:], classes


def build_mlp(inputs, hidden, classes):
    """The command line's model: Linear-ReLU-Linear-ReLU-Linear."""
    from .. import nn
    return nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                         nn.ReLU(), nn.Linear(hidden, classes))


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


def save(figure, out, name, formats):
    """Save ``figure`` as ``out/name.<fmt>`` for every format; returns the file names."""
    from ..viz import save_figure
    return [path.name for path in save_figure(figure, Path(out) / name, formats)]


def report_written(out, files):
    """Print where the outputs went, as the last line of every command."""
    print(f"wrote {', '.join(files)} to {out}/")
