"""Exercise ``lr_range_test``: sweep the learning rate geometrically and watch the loss.

The student writes ``lr_range_test(model, optimizer, loss_fn, batches, start_lr, end_lr,
num_iter, smooth_f=0.05, diverge_th=5.0)`` returning ``(lrs, smoothed_losses)``;
graded against ``tinyopt.optim.LRFinder``'s sweep on a small linear
regression (one case diverges, so the stopping rule counts).
"""
import numpy as np

from .exercise import FunctionCase, FunctionExercise, Mistake


def _reference(model, optimizer, loss_fn, batches, start_lr, end_lr, num_iter, smooth_f=0.05,
               diverge_th=5.0):
    from ..optim.lr_finder import LRFinder
    finder = LRFinder(model, optimizer, loss_fn)
    history = finder.range_test(batches, start_lr=start_lr, end_lr=end_lr, num_iter=num_iter,
                                smooth_f=smooth_f, diverge_th=diverge_th)
    return history["lr"], history["loss"]


def _linear_sweep(model, optimizer, loss_fn, batches, start_lr, end_lr, num_iter, smooth_f=0.05,
                  diverge_th=5.0):
    from ..optim.lr_finder import LRFinder
    history = LRFinder(model, optimizer, loss_fn).range_test(
        batches, start_lr=start_lr, end_lr=end_lr, num_iter=num_iter, step_mode="linear",
        smooth_f=smooth_f, diverge_th=diverge_th)
    return history["lr"], history["loss"]


def _unsmoothed(model, optimizer, loss_fn, batches, start_lr, end_lr, num_iter, smooth_f=0.05,
                diverge_th=5.0):
    from ..optim.lr_finder import LRFinder
    finder = LRFinder(model, optimizer, loss_fn)
    finder.range_test(batches, start_lr=start_lr, end_lr=end_lr, num_iter=num_iter,
                      smooth_f=smooth_f, diverge_th=diverge_th)
    return finder.history["lr"], finder.raw_losses


def _never_stops(model, optimizer, loss_fn, batches, start_lr, end_lr, num_iter, smooth_f=0.05,
                 diverge_th=5.0):
    return _reference(model, optimizer, loss_fn, batches, start_lr, end_lr, num_iter, smooth_f,
                      float("inf"))


def evaluate_range_test(function, case, steps, progress):
    """One sweep on a linear regression; record each (lr, smoothed loss) point."""
    import tinyopt
    from tinyopt import nn
    rng = np.random.default_rng(7)
    model = nn.Linear(3, 1)
    for p in model.parameters():
        p.data.array[...] = rng.normal(size=p.shape)
    X = rng.normal(size=(64, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * rng.normal(size=(64, 1))
    batches = [(tinyopt.tensor(X[i:i + 16]), tinyopt.tensor(y[i:i + 16])) for i in range(0, 64, 16)]
    optimizer = tinyopt.optim.SGD(model.parameters(), lr=case.kwargs["start_lr"])
    progress(1)
    lrs, losses = function(model, optimizer, nn.MSELoss(), batches, **case.kwargs)
    lrs, losses = list(lrs), list(losses)
    if len(lrs) != len(losses):
        raise ValueError(f"lr_range_test returned {len(lrs)} rates and {len(losses)} losses")
    for lr, loss in zip(lrs, losses):
        steps.append({"params": {"lr": np.array(float(lr)),
                                 "smoothed loss": np.array(float(loss))}, "state": {}})


EXERCISES = [FunctionExercise(
    name="lr_range_test", title="The learning-rate range test (Smith 2017)",
    class_name="lr_range_test",
    goal="find a usable learning rate in one short run: where the loss falls fastest, before "
         "it blows up",
    reference=_reference,
    cases=[FunctionCase("a gentle sweep", dict(start_lr=1e-4, end_lr=0.1, num_iter=20)),
           FunctionCase("a sweep into divergence", dict(start_lr=1e-3, end_lr=100.0,
                                                        num_iter=40))],
    evaluate=evaluate_range_test, what="the rate and the smoothed loss at every point",
    mistakes={
        "linear instead of geometric sweep": Mistake(
            _linear_sweep, "lr_i = start * (end / start) ** (i / (num_iter - 1)): equal steps "
                           "in log lr"),
        "losses not smoothed": Mistake(
            _unsmoothed, "return s_i = smooth_f * loss_i + (1 - smooth_f) * s_(i-1), s_0 = loss_0"),
        "no stop at divergence": Mistake(
            _never_stops, "stop once the smoothed loss exceeds diverge_th times its minimum"),
    })]
