"""Exercises ``clip_grad_norm`` and ``grad_accumulation``: what happens to gradients between
``backward()`` and ``step()``.

``clip_grad_norm``: the student writes ``clip_grad_norm_(parameters,
max_norm)`` (PyTorch's: scale every gradient by ``min(1, max_norm /
(‖g‖ + 1e-6))``, ‖g‖ the norm of all gradients together; return ‖g‖);
graded against ``tinyopt.nn.utils.clip_grad_norm_``.

``grad_accumulation``: the student writes ``accumulation_step(model,
optimizer, loss_fn, micro_batches)``, one optimizer step from k
micro-batches equal to one step on their union (the reference below); the
grader runs five such steps of SGD with momentum on a linear model.
"""
import numpy as np

from .exercise import FunctionCase, FunctionExercise, Mistake


def _parameters_with_grads(case):
    """Parameters with fixed gradients of the case's shapes and scales."""
    import tinyopt
    from tinyopt import nn
    rng = np.random.default_rng(len(case.kwargs["shapes"]))
    params = []
    for shape, scale in zip(case.kwargs["shapes"], case.kwargs["scales"]):
        param = nn.Parameter(tinyopt.tensor(rng.normal(size=shape).astype(case.dtype)))
        param.grad = tinyopt.tensor((scale * rng.normal(size=shape)).astype(case.dtype))
        params.append(param)
    return params


def evaluate_clipping(function, case, steps, progress):
    """Clip once; record the returned total norm and every clipped gradient."""
    progress(1)
    params = _parameters_with_grads(case)
    total = function(params, case.kwargs["max_norm"])
    if isinstance(total, bool) or not np.isscalar(getattr(total, "item", lambda: total)()):
        raise TypeError(f"clip_grad_norm_ must return the total norm (a number), returned "
                        f"{type(total).__name__}")
    values = {f"gradient of tensor {i}": np.array(p.grad.array) for i, p in enumerate(params)}
    values["total_norm (returned)"] = np.array(float(total))
    steps.append({"params": values, "state": {}})


def _clip_reference(parameters, max_norm):
    from ..nn.utils import clip_grad_norm_
    return clip_grad_norm_(parameters, max_norm)


def _norm(arrays):
    return float(np.sqrt(sum(float(np.sum(a.astype(np.float64) ** 2)) for a in arrays)))


def _clip_per_tensor(parameters, max_norm):
    for p in parameters:
        p.grad.array[...] *= min(1.0, max_norm / (_norm([p.grad.array]) + 1e-6))
    return _norm([p.grad.array for p in parameters])


def _clip_always(parameters, max_norm):
    total = _norm([p.grad.array for p in parameters])
    for p in parameters:
        p.grad.array[...] *= max_norm / (total + 1e-6)
    return total


def _clip_returns_after(parameters, max_norm):
    _clip_reference(parameters, max_norm)
    return _norm([p.grad.array for p in parameters])


def accumulation_step(model, optimizer, loss_fn, micro_batches):
    """The reference: gradients of the mean loss over all micro-batches, then one step."""
    optimizer.zero_grad()
    for x, y in micro_batches:
        loss = loss_fn(model(x), y) / len(micro_batches)
        loss.backward()
    optimizer.step()


def _not_divided(model, optimizer, loss_fn, micro_batches):
    optimizer.zero_grad()
    for x, y in micro_batches:
        loss_fn(model(x), y).backward()
    optimizer.step()


def _zero_grad_inside(model, optimizer, loss_fn, micro_batches):
    for x, y in micro_batches:
        optimizer.zero_grad()
        (loss_fn(model(x), y) / len(micro_batches)).backward()
    optimizer.step()


def _step_inside(model, optimizer, loss_fn, micro_batches):
    optimizer.zero_grad()
    for x, y in micro_batches:
        (loss_fn(model(x), y) / len(micro_batches)).backward()
        optimizer.step()


def evaluate_accumulation(function, case, steps, progress):
    """Five accumulated steps of SGD(momentum) on a linear model; the weights after each."""
    import tinyopt
    from tinyopt import nn
    rng = np.random.default_rng(case.kwargs["micro_batches"])
    model = nn.Linear(4, 3)
    for p in model.parameters():
        p.data.array[...] = rng.normal(size=p.shape).astype(case.dtype) * 0.5
    optimizer = tinyopt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(1, 6):
        progress(step)
        batches = [(tinyopt.tensor(rng.normal(size=(case.kwargs["batch"], 4)).astype(case.dtype)),
                    tinyopt.tensor(rng.normal(size=(case.kwargs["batch"], 3)).astype(case.dtype)))
                   for _ in range(case.kwargs["micro_batches"])]
        function(model, optimizer, nn.MSELoss(), batches)
        steps.append({"params": {name: np.array(p.array) for name, p in
                                 model.named_parameters()}, "state": {}})


EXERCISES = [
    FunctionExercise(
        name="clip_grad_norm", title="Gradient clipping by global norm",
        class_name="clip_grad_norm_",
        goal="one norm over all gradients keeps the update's direction; per-tensor clipping "
             "changes it",
        reference=_clip_reference,
        cases=[FunctionCase("below max_norm: unchanged", dict(shapes=[(3,), (2, 2)],
                                                              scales=[0.1, 0.1], max_norm=5.0)),
               FunctionCase("one large tensor", dict(shapes=[(4, 3), (5,), (2,)],
                                                     scales=[10.0, 0.1, 0.5], max_norm=1.0)),
               FunctionCase("float32", dict(shapes=[(6,), (3, 3)], scales=[3.0, 1.0],
                                            max_norm=0.5), dtype="float32")],
        evaluate=evaluate_clipping, what="the returned norm and every clipped gradient",
        mistakes={
            "clipped per tensor": Mistake(
                _clip_per_tensor, "clip by the norm of ALL gradients together, "
                                  "sqrt(sum of every squared element): one factor for all"),
            "scaled even below max_norm": Mistake(
                _clip_always, "the factor is min(1, max_norm / (norm + 1e-6)): gradients "
                              "already small enough stay unchanged"),
            "returns the norm after clipping": Mistake(
                _clip_returns_after, "return the total norm BEFORE clipping (for logging)"),
        }),
    FunctionExercise(
        name="grad_accumulation", title="Gradient accumulation in a training loop",
        class_name="accumulation_step",
        goal="k micro-batches of size b give the step of one batch of size k*b",
        reference=accumulation_step,
        cases=[FunctionCase("4 micro-batches of 8", dict(micro_batches=4, batch=8)),
               FunctionCase("2 micro-batches of 16, float32", dict(micro_batches=2, batch=16),
                            dtype="float32")],
        evaluate=evaluate_accumulation, what="the model's weights after each of 5 steps",
        mistakes={
            "loss not divided by the number of micro-batches": Mistake(
                _not_divided, "gradients add up over backward() calls: divide each loss by "
                              "k so the sum is the gradient of the mean"),
            "zero_grad inside the loop": Mistake(
                _zero_grad_inside, "zero the gradients once per optimizer step, before the "
                                   "loop, or only the last micro-batch counts"),
            "step inside the loop": Mistake(
                _step_inside, "call optimizer.step() once, after all micro-batches"),
        }),
]
