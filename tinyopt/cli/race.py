"""``tinyopt race``: optimizers race from the same start over a landscape; PNG, GIF and surface.

Writes ``race.png`` (one panel per optimizer), ``race.gif`` (all paths
growing together) and ``surface.png`` (the landscape in 3-D). Optimizers
are recipes as in ``compare``; one without an ``lr`` gets the landscape's
rate for its family (``lr_sgd`` for SGD-like methods, ``lr_adaptive`` for
Adam-like ones, a third of it for Lion, ``lr_momentum`` where the landscape has one
for SGD with momentum). An optimizer whose path ends at a non-finite point or
higher than it started diverged: its label says so in the figures,
``paths.json`` lists it, and a warning names it.
"""
import argparse
import json

import numpy

from .. import landscapes, recipes
from . import common

DEFAULT_OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop", "lion")
FAST = {"steps": 40, "frames": 8}
OUTPUTS = common.outputs(("race.gif", "paths.json"), ("race", "surface"))
DIVERGED = " (diverged)"


def frames(text):
    """argparse type: a GIF needs at least 2 frames."""
    value = common.positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2, got {value}")
    return value


def add_arguments(parser):
    """The ``race`` options."""
    parser.add_argument("--landscape", choices=landscapes.names(), default="rosenbrock",
                        help="the loss surface (default rosenbrock)")
    parser.add_argument("--optimizers", nargs="+", type=common.recipe, metavar="RECIPE",
                        default=None, help="optimizers, e.g. sgd momentum adam:lr=0.1 "
                                           "lion+cosine (default: " +
                                           " ".join(DEFAULT_OPTIMIZERS) + ")")
    parser.add_argument("--start", type=common.point, default=None, metavar="X,Y",
                        help="start point (default: the landscape's first lecture start)")
    parser.add_argument("--steps", type=common.positive_int, default=300,
                        help="optimizer steps (default 300)")
    parser.add_argument("--frames", type=frames, default=60,
                        help="GIF frames, at most (default 60)")
    parser.add_argument("--fps", type=common.positive_int, default=15,
                        help="GIF frames per second (default 15)")
    parser.add_argument("--no-gif", action="store_true", help="skip the animation")
    parser.add_argument("--fast", action="store_true",
                        help=f"{FAST['steps']} steps and {FAST['frames']} GIF frames (for tests)")
    common.add_output_arguments(parser, "tinyopt-output/race")


def race(landscape, optimizer_recipes, start, steps, on_path=None):
    """``{label: path}`` for every recipe from ``start`` on ``landscape`` over ``steps`` steps.

    A recipe without ``lr`` gets the landscape's rate for its family; the label then says it.
    ``on_path()`` is called after each path (for a progress bar).
    """
    paths = {}
    for recipe in optimizer_recipes:
        lr = landscape.default_lr(recipe)
        resolved = recipe.with_default_lr(lr)
        label = recipe.text if resolved is recipe else f"{recipe.text} lr={lr:.3g}"
        schedule = None if recipe.schedule == "constant" else \
            (lambda optimizer, r=resolved: r.build_scheduler(optimizer, steps))
        paths[label] = landscapes.trajectory(landscape, resolved.build_optimizer, start, steps,
                                             schedule)
        if on_path is not None:
            on_path()
    return paths


def check(args):
    """Usage errors: an optimizer given twice."""
    common.check_unique([recipe.text for recipe in args.optimizers or []], "optimizer")


def diverged(landscape, path):
    """Whether ``path`` ends at a non-finite point or value, or higher than it started."""
    end = landscape.value_and_grad(path[-1])[0]
    return not (numpy.isfinite(path[-1]).all() and end <= landscape.value_and_grad(path[0])[0])


def _flag_diverged(landscape, paths):
    """``paths`` with the label of every diverged path marked, and those labels."""
    flagged = [label for label, path in paths.items() if diverged(landscape, path)]
    for label in flagged:
        common.warn("race", f"{label} diverged: its path ends at {tuple(paths[label][-1])}")
    return {label + DIVERGED * (label in flagged): path for label, path in paths.items()}, \
        flagged


def _checked_start(landscape, start):
    """``start``, if it lies inside ``landscape``'s window (else the plot could not show it)."""
    (x_min, x_max), (y_min, y_max) = landscape.window
    if not (x_min <= start[0] <= x_max and y_min <= start[1] <= y_max):
        raise common.CommandError(
            f"--start {start[0]:g},{start[1]:g} is outside the {landscape.name} window "
            f"x in [{x_min:g}, {x_max:g}], y in [{y_min:g}, {y_max:g}]")
    return start


def main(args):
    """Race, then write race.png, surface.png, race.gif and paths.json."""
    from ..viz import plot_surface, plot_trajectories, save_trajectory_gif
    from ..viz.animation import frame_steps
    landscape = landscapes.get(args.landscape)
    chosen = args.optimizers or [recipes.parse_recipe(name) for name in DEFAULT_OPTIMIZERS]
    start = _checked_start(landscape, args.start or landscape.starts[0])
    steps, gif_frames = (FAST["steps"], FAST["frames"]) if args.fast else (args.steps, args.frames)
    shown = 0 if args.no_gif else len(frame_steps(steps, gif_frames))
    with common.progress_bar(args, len(chosen) + shown, "race") as bar:
        with numpy.errstate(over="ignore", invalid="ignore"):  # divergence is flagged below
            paths = race(landscape, chosen, start, steps, lambda: bar.update(1))
            paths, flagged = _flag_diverged(landscape, paths)
        files = common.save(plot_trajectories(landscape, paths), args.out, "race", args.format)
        files += common.save(plot_surface(landscape), args.out, "surface", args.format)
        if not args.no_gif:
            bar.set_description("race.gif")
            save_trajectory_gif(landscape, paths, args.out / "race.gif", frames=gif_frames,
                                fps=args.fps, progress=lambda frame, total: bar.update(1))
            files.append("race.gif")
    (args.out / "paths.json").write_text(json.dumps(
        {"landscape": landscape.name, "start": list(start), "steps": steps,
         "paths": {label: path.tolist() for label, path in paths.items()},
         "diverged": flagged}))
    for label, path in paths.items():
        with numpy.errstate(over="ignore", invalid="ignore"):
            value = landscape.value_and_grad(path[-1])[0]
        print(f"  {label:<28} ends at ({path[-1][0]:.3f}, {path[-1][1]:.3f}), f = {value:.4g}")
    common.report_written(args.out, files + ["paths.json"])
