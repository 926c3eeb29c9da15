r"""Chapter exercise 3: large-batch training, simulated: accumulation, LARS, mixed precision.

The student writes ``large_batch(make_model, x, y, lrs, steps, micro_batch, target, amp_lr)``
on one batch of 1024 digits (the MLP of ``experiments.mlp``) and returns:

- ``gradients``: ``{"full": [...], "accumulated": [...]}``, the gradient of the mean
  cross-entropy over all of ``x`` for each parameter (in ``model.parameters()`` order),
  once from one backward pass on the whole batch and once accumulated over
  micro-batches of ``micro_batch`` (1024 = 64 x 16: each loss divided by 16). The two
  must agree: accumulation changes memory, not the step.
- ``final_loss``: ``{"SGD": [...], "LARS": [...]}``, one value per rate of ``lrs``:
  a fresh model trained ``steps`` full-batch steps with ``SGD(lr, momentum=0.9)`` or
  ``LARS(lr, momentum=0.9, trust_coefficient=0.01)``, then its loss on (x, y);
- ``lrs_that_train``: per optimizer, how many rates end below ``target``;
  ``best_lr``: per optimizer, the rate with the lowest final loss;
- ``mixed_precision``: ``{"float32": [...], "bfloat16": [...]}``, the loss of every
  step of ``SGD(amp_lr, momentum=0.9)``, without and with ``tinyopt.amp.autocast("cpu")``
  (bfloat16 products, emulated on the CPU) around the forward pass and the loss.

Time and memory are the student's to measure (``time.perf_counter``,
``tracemalloc``); the grader compares only the numbers above, which do not
depend on the machine (on a CPU, emulated bfloat16 runs at float32 speed).
"""
from functools import partial

from . import experiments
from .exercise import FunctionCase, FunctionExercise, Mistake

OPTIMIZERS = ["SGD", "LARS"]
RESULT_KEYS = "gradients, final_loss, lrs_that_train, best_lr, mixed_precision"


def make_optimizer(name, params, lr):
    """The two optimizers compared, as the skeleton defines them."""
    from .. import optim
    if name == "SGD":
        return optim.SGD(params, lr=lr, momentum=0.9)
    return optim.LARS(params, lr=lr, momentum=0.9, trust_coefficient=0.01)


def gradients(model, x, y, micro_batch, undivided=False, zero_each=False):
    """``(full, accumulated)``: the mean loss's gradients, one backward or accumulated over
    micro-batches (the flags inject two known accumulation mistakes)."""
    from .. import nn
    loss_fn = nn.CrossEntropyLoss()
    model.zero_grad()
    loss_fn(model(x), y).backward()
    full = [p.grad.array.copy() for p in model.parameters()]
    model.zero_grad()
    count = len(x) // micro_batch
    for start in range(0, len(x), micro_batch):
        if zero_each:
            model.zero_grad()
        loss = loss_fn(model(x[start:start + micro_batch]), y[start:start + micro_batch])
        (loss if undivided else loss / count).backward()
    return full, [p.grad.array.copy() for p in model.parameters()]


def train(model, optimizer, x, y, steps, autocast=False):
    """``steps`` full-batch steps; the loss of every step (forward and loss under bfloat16
    autocast when asked)."""
    import contextlib

    from .. import amp, nn
    loss_fn, losses = nn.CrossEntropyLoss(), []
    for _ in range(steps):
        optimizer.zero_grad()
        with amp.autocast("cpu") if autocast else contextlib.nullcontext():
            loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def large_batch(make_model, x, y, lrs, steps, micro_batch, target, amp_lr, undivided=False,
                zero_each=False, reuse_model=False, no_autocast=False):
    """The reference (the flags inject the known mistakes)."""
    from .. import nn, no_grad
    full, accumulated = gradients(make_model(), x, y, micro_batch, undivided, zero_each)
    final_loss, model = {}, None
    for name in OPTIMIZERS:
        final_loss[name] = []
        for lr in lrs:
            model = model if reuse_model and model is not None else make_model()
            train(model, make_optimizer(name, model.parameters(), lr), x, y, steps)
            with no_grad():
                final_loss[name].append(nn.CrossEntropyLoss()(model(x), y).item())
    mixed = {}
    for precision in ("float32", "bfloat16"):
        model = make_model()
        mixed[precision] = train(model, make_optimizer("SGD", model.parameters(), amp_lr), x, y,
                                 steps, autocast=precision == "bfloat16" and not no_autocast)
    return {"gradients": {"full": full, "accumulated": accumulated}, "final_loss": final_loss,
            "lrs_that_train": {n: sum(loss < target for loss in final_loss[n]) for n in OPTIMIZERS},
            "best_lr": {n: lrs[min(range(len(lrs)), key=final_loss[n].__getitem__)]
                        for n in OPTIMIZERS},
            "mixed_precision": mixed}


def evaluate_large_batch(function, case, steps, progress):
    """Run the student's study on the first 1024 training digits; record every quantity."""
    import numpy as np
    kwargs = dict(case.kwargs)
    n = kwargs.pop("n")
    make_model, ((x, y),), _ = experiments.digits("mlp", n, n)
    progress(1)
    with experiments.numpy_executor():
        result = function(make_model, x, y, **kwargs)
    get = partial(experiments.entry, result, function_name="large_batch", shape=RESULT_KEYS)
    names = [name for name, _ in make_model().named_parameters()]
    kinds = ["full", "accumulated"]
    for kind, grads in zip(kinds, experiments.per_arm(get("gradients"), kinds, "gradients")):
        if len(grads) != len(names):
            raise ValueError(f"gradients[{kind!r}] must hold one array per parameter "
                             f"({len(names)}: {', '.join(names)}), holds {len(grads)}")
        experiments.record(steps, f"gradients ({kind})", {
            f"gradient of {name}": np.asarray(getattr(g, "array", g)) for name, g in
            zip(names, grads)})
    losses = [experiments.curve(c, len(kwargs["lrs"]), f"final_loss[{n!r}]") for n, c in
              zip(OPTIMIZERS, experiments.per_arm(get("final_loss"), OPTIMIZERS, "final_loss"))]
    for i, lr in enumerate(kwargs["lrs"]):
        experiments.record(steps, f"lr={lr:g}", {f"{n}: final loss": c[i]
                                                 for n, c in zip(OPTIMIZERS, losses)})
    experiments.record(steps, "summary", {
        **experiments.labelled(get("lrs_that_train"), OPTIMIZERS, "lrs_that_train",
                               "lrs that train"),
        **experiments.labelled(get("best_lr"), OPTIMIZERS, "best_lr", "best lr")})
    curves = [experiments.curve(c, kwargs["steps"], f"mixed_precision[{p!r}]") for p, c in
              zip(["float32", "bfloat16"], experiments.per_arm(
                  get("mixed_precision"), ["float32", "bfloat16"], "mixed_precision"))]
    for step in range(kwargs["steps"]):
        experiments.record(steps, f"mixed precision, step {step + 1}",
                           {"float32: loss": curves[0][step], "bfloat16: loss": curves[1][step]})


EXERCISES = [FunctionExercise(
    name="large_batch", title="Chapter exercise 3: large-batch training, simulated",
    class_name="large_batch",
    goal="accumulation gives the large batch's gradient; LARS's per-layer rates against one "
         "global rate across learning rates; what bfloat16 changes",
    reference=large_batch,
    cases=[FunctionCase("MLP on 1024 digits: 16 micro-batches of 64; 20 steps per rate",
                        dict(n=1024, lrs=[0.3, 1.0, 3.0, 10.0], steps=20, micro_batch=64,
                             target=0.5, amp_lr=0.3), tolerance=experiments.TOLERANCE)],
    evaluate=evaluate_large_batch, strict_diagnosis=True,
    what="both gradients of every parameter, every final loss, the counts and best rates, "
         "and the float32 and bfloat16 loss of every step",
    mistakes={
        "loss not divided by the number of micro-batches": Mistake(
            partial(large_batch, undivided=True),
            "backward() adds up the micro-batches' gradients: divide each loss by their "
            "number (16) so the sum is the gradient of the mean"),
        "zero_grad inside the micro-batch loop": Mistake(
            partial(large_batch, zero_each=True),
            "zero the gradients once, before the micro-batches, or only the last one counts"),
        "one model trained at every learning rate": Mistake(
            partial(large_batch, reuse_model=True),
            "build a fresh model with make_model() for every run: each rate starts from the "
            "same initial weights"),
        "autocast not applied": Mistake(
            partial(large_batch, no_autocast=True),
            "run the forward pass and the loss inside `with tinyopt.amp.autocast('cpu'):` "
            "(backward outside it)"),
    })]
