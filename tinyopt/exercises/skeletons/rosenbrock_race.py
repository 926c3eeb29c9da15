r"""Exercise rosenbrock_race (chapter exercise 1): iterations to reach loss < 0.01.

Write ``iterations_to_target(make_optimizer, start, target, max_steps)``:
minimise the Rosenbrock function f(x, y) = (1 - x)² + 100 (y - x²)² from
``start`` with the optimizer ``make_optimizer([point])`` builds, and return
the number of optimizer steps k after which f < target (0 if f(start) <
target already), or None if ``max_steps`` steps are not enough.

Hint: ``tinyopt.landscapes.get("rosenbrock")`` is f (call it on a point's
coordinates, or use ``landscapes.trajectory``); a Parameter of shape (2,)
is the point. Then race: your RMSprop (exercise rmsprop) against SGD with
momentum and Adam, and draw the paths with ``tinyopt race``.

Check: ``tinyopt check rosenbrock_race --file rosenbrock_race.py``.
"""


def iterations_to_target(make_optimizer, start, target=0.01, max_steps=3000):
    raise NotImplementedError("exercise: iterations_to_target: run the optimizer and count "
                              "steps until the loss is below target (see the docstring)")
