r"""Experiments that train one model several ways and compare: schedules, optimizers.

- ``scheduler_ablation`` (chapter exercise 2): the chapter's small CNN with
  adaptive average pooling on the 8x8 digits, SGD with momentum 0.9 and one
  initial rate, five schedules: none, StepLR, CosineAnnealingLR, OneCycleLR,
  warmup + cosine;
- ``optimizer_comparison`` (course page exercise 1): SGD vs Adam vs AdamW on an MLP;
- ``schedule_comparison`` (course page exercise 2): constant vs step decay vs cosine.

Each arm is one run from the same initial weights (``make_model()``) over the
same batches. The student returns, per arm, the mean training loss of every
epoch, the test accuracy, the epochs until the loss falls below ``target``,
and which arm is best (highest test accuracy) and fastest (fewest epochs to
the target). The protocol, as the reference runs it::

    for each arm:  model = make_model();  optimizer, scheduler of the arm
        for each epoch, for each (x, y) of train_batches:
            zero_grad; loss = CrossEntropyLoss()(model(x), y); backward; optimizer.step()
            scheduler.step()                       (every optimizer step, not per epoch)
        mean loss of the epoch = mean of its batch losses (loss.item())
    test accuracy: fraction of argmax(model(x_test)) == y_test
    epochs to target: the first epoch (1-based) whose mean loss < target, None if none
    best: the highest test accuracy (ties: the first arm);  fastest: the fewest epochs
    to target (ties: the lower loss at that epoch; None if no arm reaches it)
"""
from functools import partial

from . import experiments
from .exercise import FunctionCase, FunctionExercise, Mistake

RESULT_KEYS = "loss, test_accuracy, epochs_to_target, best, fastest"


def train(model, optimizer, scheduler, train_batches, epochs, step_per_epoch=False,
          last_batch_loss=False):
    """The mean training loss of each epoch (the flags inject two known mistakes: the
    scheduler stepped once per epoch; an epoch's loss taken from its last batch)."""
    from .. import nn
    loss_fn, losses = nn.CrossEntropyLoss(), []
    for _ in range(epochs):
        batch_losses = []
        for x, y in train_batches:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            if scheduler is not None and not step_per_epoch:
                scheduler.step()
            batch_losses.append(loss.item())
        if scheduler is not None and step_per_epoch:
            scheduler.step()
        losses.append(batch_losses[-1] if last_batch_loss else
                      sum(batch_losses) / len(batch_losses))
    return losses


def accuracy(model, x, y):
    """The fraction of samples whose largest logit is the label's."""
    from .. import no_grad
    with no_grad():
        return float((model(x).array.argmax(axis=1) == y.array).mean())


def epochs_to_target(losses, target):
    """The first epoch (1-based) whose loss is below ``target``, or None."""
    return next((epoch for epoch, loss in enumerate(losses, start=1) if loss < target), None)


def compare(arms, make_model, train_batches, test_set, epochs, target, reuse_model=False,
            accuracy_on_train=False, fastest_by_final_loss=False, **protocol):
    """Run every arm; the result the exercises ask for. ``arms``: ``{name: (make_optimizer,
    make_scheduler)}``; the flags (and ``protocol``, passed to ``train``) inject the known
    mistakes."""
    loss, test_accuracy, reached, model = {}, {}, {}, None
    total_steps = epochs * len(train_batches)
    for name, (make_optimizer, make_scheduler) in arms.items():
        model = model if reuse_model and model is not None else make_model()
        optimizer = make_optimizer(model.parameters())
        scheduler = make_scheduler(optimizer, total_steps)
        loss[name] = train(model, optimizer, scheduler, train_batches, epochs, **protocol)
        x, y = train_batches[0] if accuracy_on_train else test_set
        test_accuracy[name] = accuracy(model, x, y)
        reached[name] = epochs_to_target(loss[name], target)
    timed = [name for name in arms if reached[name] is not None]
    fastest = min(timed, key=lambda n: (reached[n], loss[n][reached[n] - 1]), default=None)
    if fastest_by_final_loss:
        fastest = min(arms, key=lambda n: loss[n][-1])
    return {"loss": loss, "test_accuracy": test_accuracy, "epochs_to_target": reached,
            "best": max(arms, key=lambda n: test_accuracy[n]), "fastest": fastest}


def _no_schedule(optimizer, total_steps):
    return None


def schedule_arms(lr, names):
    """The schedules by name, each with SGD(lr, momentum=0.9), as the skeletons define them."""
    from .. import optim
    from ..optim import lr_scheduler as schedules
    every = {
        "constant": _no_schedule,
        "step": lambda optimizer, total: schedules.StepLR(optimizer, step_size=total // 3,
                                                          gamma=0.1),
        "cosine": lambda optimizer, total: schedules.CosineAnnealingLR(optimizer, T_max=total),
        "onecycle": lambda optimizer, total: schedules.OneCycleLR(optimizer, max_lr=lr,
                                                                  total_steps=total),
        "warmup_cosine": lambda optimizer, total: schedules.WarmupCosineLR(
            optimizer, warmup_steps=total // 10, total_steps=total),
    }
    return {name: (lambda params: optim.SGD(params, lr=lr, momentum=0.9), every[name])
            for name in names}


def optimizer_arms():
    """SGD(0.1, momentum 0.9), Adam(1e-2), AdamW(1e-2, weight_decay=0.1), as the skeleton says."""
    from .. import optim
    return {"SGD": (lambda params: optim.SGD(params, lr=0.1, momentum=0.9), _no_schedule),
            "Adam": (lambda params: optim.Adam(params, lr=1e-2), _no_schedule),
            "AdamW": (lambda params: optim.AdamW(params, lr=1e-2, weight_decay=0.1),
                      _no_schedule)}


ABLATION_SCHEDULES = ["constant", "step", "cosine", "onecycle", "warmup_cosine"]
COMPARED_SCHEDULES = ["constant", "step", "cosine"]
OPTIMIZERS = ["SGD", "Adam", "AdamW"]


def scheduler_ablation(make_model, train_batches, test_set, epochs, lr, target, **mistake):
    """The reference of chapter exercise 2."""
    return compare(schedule_arms(lr, ABLATION_SCHEDULES), make_model, train_batches, test_set,
                   epochs, target, **mistake)


def schedule_comparison(make_model, train_batches, test_set, epochs, lr, target, **mistake):
    """The reference of course page exercise 2."""
    return compare(schedule_arms(lr, COMPARED_SCHEDULES), make_model, train_batches, test_set,
                   epochs, target, **mistake)


def optimizer_comparison(make_model, train_batches, test_set, epochs, target, **mistake):
    """The reference of course page exercise 1."""
    return compare(optimizer_arms(), make_model, train_batches, test_set, epochs, target,
                   **mistake)


def evaluate_comparison(name, arms, function, case, steps, progress):
    """Run the student's experiment ``name`` on the case's digits problem; record every
    quantity it returns."""
    problem = {k: case.kwargs[k] for k in ("model", "n_train", "batch_size")}
    arguments = {k: v for k, v in case.kwargs.items() if k not in problem}
    make_model, train_batches, test_set = experiments.digits(**problem)
    progress(1)
    with experiments.numpy_executor():
        result = function(make_model, train_batches, test_set, **arguments)
    get = partial(experiments.entry, result, function_name=name, shape=RESULT_KEYS)
    curves = [experiments.curve(c, arguments["epochs"], f"loss[{arm!r}]") for arm, c in
              zip(arms, experiments.per_arm(get("loss"), arms, "loss"))]
    for epoch in range(arguments["epochs"]):
        experiments.record(steps, f"epoch {epoch + 1}", {
            f"{arm}: mean training loss": c[epoch] for arm, c in zip(arms, curves)})
    summary = {**experiments.labelled(get("test_accuracy"), arms, "test_accuracy",
                                      "test accuracy"),
               **experiments.labelled(get("epochs_to_target"), arms, "epochs_to_target",
                                      "epochs to target (None as -1)",
                                      experiments.count_or_none)}
    listed = ", ".join(f"{i} {arm}" for i, arm in enumerate(arms))
    summary[f"best (as its index: {listed})"] = experiments.choice(get("best"), arms, "best")
    fastest = get("fastest")
    summary[f"fastest (as its index: {listed}; None as -1)"] = \
        -1.0 if fastest is None else experiments.choice(fastest, arms, "fastest")
    experiments.record(steps, "summary", summary)


_MISTAKES = {  # name: (the flag of ``compare`` or ``train`` injecting it, what to tell)
    "one model trained on by every arm": (
        "reuse_model", "build a fresh model with make_model() for every arm: each run must "
                       "start from the same initial weights"),
    "scheduler stepped once per epoch": (
        "step_per_epoch", "call scheduler.step() after every optimizer.step(); the schedules "
                          "are defined in optimizer steps (total_steps)"),
    "epoch loss taken from its last batch": (
        "last_batch_loss", "an epoch's loss is the mean of all its batch losses"),
    "test accuracy measured on training data": (
        "accuracy_on_train", "measure accuracy on test_set, the data no arm trained on"),
    "fastest by the final loss": (
        "fastest_by_final_loss", "fastest = fewest epochs until the loss is below target, "
                                 "not the lowest loss at the end"),
}


def _mistakes(reference, names):
    return {name: Mistake(partial(reference, **{_MISTAKES[name][0]: True}), _MISTAKES[name][1])
            for name in names}


def _exercise(name, title, goal, reference, arms, cases, mistakes):
    return FunctionExercise(
        name=name, title=title, goal=goal, class_name=name, reference=reference,
        cases=[FunctionCase(label, kwargs, tolerance=experiments.TOLERANCE)
               for label, kwargs in cases],
        evaluate=partial(evaluate_comparison, name, arms), strict_diagnosis=True,
        what="every arm's mean training loss per epoch, test accuracy and epochs to the "
             "target, and which arm is best and fastest",
        mistakes=_mistakes(reference, mistakes))


EXERCISES = [
    _exercise("scheduler_ablation", "Chapter exercise 2: a scheduler ablation on a small CNN",
              "the same optimizer and rate under five schedules: which ends best, which "
              "gets there first", scheduler_ablation, ABLATION_SCHEDULES,
              [("CNN with AdaptiveAvgPool2d on 256 digits, 4 epochs",
                dict(model="cnn", n_train=256, batch_size=32, epochs=4, lr=0.5, target=2.0))],
              ["one model trained on by every arm", "scheduler stepped once per epoch",
               "epoch loss taken from its last batch", "test accuracy measured on training data"]),
    _exercise("optimizer_comparison", "Course exercise: SGD vs Adam vs AdamW",
              "convergence speed and final accuracy of the three optimizers from one start",
              optimizer_comparison, OPTIMIZERS,
              [("MLP on 512 digits, 5 epochs",
                dict(model="mlp", n_train=512, batch_size=32, epochs=5, target=1.3))],
              ["one model trained on by every arm", "epoch loss taken from its last batch",
               "test accuracy measured on training data", "fastest by the final loss"]),
    _exercise("schedule_comparison", "Course exercise: constant vs step decay vs cosine",
              "what decaying the rate buys on the same model, and what it costs early on",
              schedule_comparison, COMPARED_SCHEDULES,
              [("MLP on 512 digits, 6 epochs",
                dict(model="mlp", n_train=512, batch_size=32, epochs=6, lr=0.1, target=0.5))],
              ["one model trained on by every arm", "scheduler stepped once per epoch",
               "epoch loss taken from its last batch", "test accuracy measured on training data"]),
]
