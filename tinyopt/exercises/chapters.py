"""The course's chapter exercises as runnable checks of the quantities they ask for.

``rosenbrock_race`` (chapter exercise 1): how many iterations each
optimizer needs to bring the Rosenbrock loss below 0.01. The student
writes ``iterations_to_target(make_optimizer, start, target, max_steps)``:
the number of optimizer steps k after which ``f(θ_k) < target`` (0 if the
start is already below), or None if ``max_steps`` steps are not enough.
The grader runs it with SGD with momentum, Adam and RMSprop against the
reference (``landscapes.trajectory``, the paths ``tinyopt race`` draws).
"""
import numpy as np

from .. import landscapes
from .exercise import FunctionCase, FunctionExercise, Mistake


def _iterations(make_optimizer, start, target, max_steps, shift=0):
    rosenbrock = landscapes.get("rosenbrock")
    path = landscapes.trajectory(rosenbrock, make_optimizer, start, max_steps)
    below = np.flatnonzero(rosenbrock.function(path[:, 0], path[:, 1]) < target)
    return int(below[0]) + shift if below.size else None


def iterations_to_target(make_optimizer, start, target=0.01, max_steps=3000):
    """The reference: steps until the Rosenbrock loss is below ``target``, or None."""
    return _iterations(make_optimizer, start, target, max_steps)


def _counted_from_one(make_optimizer, start, target=0.01, max_steps=3000):
    return _iterations(make_optimizer, start, target, max_steps, shift=1)


def _max_steps_when_never(make_optimizer, start, target=0.01, max_steps=3000):
    found = _iterations(make_optimizer, start, target, max_steps)
    return max_steps if found is None else found


def evaluate_race(function, case, steps, progress):
    """Run the student's count for one optimizer of the race."""
    from .. import optim
    progress(1)
    kwargs = dict(case.kwargs)
    name, start, max_steps = kwargs.pop("optimizer"), kwargs.pop("start"), kwargs.pop("max_steps")
    found = function(lambda params: getattr(optim, name)(params, **kwargs), start=start,
                     target=0.01, max_steps=max_steps)
    if found is not None and (isinstance(found, bool) or not float(found).is_integer()):
        raise TypeError(f"iterations_to_target must return an int or None, returned {found!r}")
    steps.append({"params": {"iterations (None as -1)": np.array(
        -1.0 if found is None else float(found))}, "state": {}})


EXERCISES = [FunctionExercise(
    name="rosenbrock_race", title="Chapter exercise 1: the Rosenbrock race",
    class_name="iterations_to_target",
    goal="convergence speed measured as iterations to reach loss < 0.01, on a curved valley",
    reference=iterations_to_target,
    cases=[FunctionCase("SGD with momentum", dict(optimizer="SGD", lr=1e-3, momentum=0.9,
                                                  start=(-1.2, 1.0), max_steps=1000)),
           FunctionCase("Adam", dict(optimizer="Adam", lr=0.05, start=(-1.2, 1.0),
                                     max_steps=1000)),
           FunctionCase("RMSprop, too few steps", dict(optimizer="RMSprop", lr=0.01,
                                                       start=(-1.2, 1.0), max_steps=300)),
           FunctionCase("plain SGD never gets there", dict(optimizer="SGD", lr=1e-4,
                                                           start=(-1.2, 1.0), max_steps=100))],
    evaluate=evaluate_race, what="the iteration count of each racer",
    mistakes={
        "iterations counted from 1": Mistake(
            _counted_from_one, "count optimizer steps: the start is iteration 0, the point "
                               "after the first step iteration 1"),
        "max_steps returned when never reached": Mistake(
            _max_steps_when_never, "return None when the target is not reached within "
                                   "max_steps: a count would claim success"),
    })]
