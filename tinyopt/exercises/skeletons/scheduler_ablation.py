r"""Exercise scheduler_ablation (chapter exercise 2): five schedules, one optimizer, one CNN.

Write ``scheduler_ablation(make_model, train_batches, test_set, epochs, lr, target)``.
``make_model()`` builds the chapter's small CNN (conv 3x3, ReLU,
``nn.AdaptiveAvgPool2d(2)``, linear) with the same initial weights at every call;
``train_batches`` is a list of ``(x, y)`` digit batches (8x8 images, labels 0..9),
``test_set`` the pair ``(x_test, y_test)``. Train one fresh model per schedule with
``SGD(lr, momentum=0.9)``; with T = epochs * len(train_batches) optimizer steps::

    "constant"       no scheduler
    "step"           StepLR(optimizer, step_size=T // 3, gamma=0.1)
    "cosine"         CosineAnnealingLR(optimizer, T_max=T)
    "onecycle"       OneCycleLR(optimizer, max_lr=lr, total_steps=T)
    "warmup_cosine"  WarmupCosineLR(optimizer, warmup_steps=T // 10, total_steps=T)

Each step: ``zero_grad``, ``loss = CrossEntropyLoss()(model(x), y)``, ``backward``,
``optimizer.step()``, then ``scheduler.step()`` (every step: T counts steps). Return::

    {"loss": {name: [mean of the batch losses of each epoch]},
     "test_accuracy": {name: fraction of argmax(model(x_test)) == y_test},
     "epochs_to_target": {name: first epoch (1, 2, ...) whose mean loss < target, or None},
     "best": the name with the highest test accuracy (ties: the first in the list above),
     "fastest": the name with the fewest epochs to target (ties: the lower loss at that
                epoch; None if no schedule reaches it)}

Then answer the chapter's questions from your numbers (plot the curves with
matplotlib): which schedule ends best, which gets there first? Bonus: choose
OneCycle's max_lr with ``tinyopt.optim.LRFinder`` (not graded).

Hint: ``tinyopt.optim.lr_scheduler`` has every scheduler; ``loss.item()`` is a
float; accuracy under ``tinyopt.no_grad()``, from ``logits.array.argmax(axis=1)``.

Check: ``tinyopt check scheduler_ablation --file scheduler_ablation.py``.
"""
SCHEDULES = ["constant", "step", "cosine", "onecycle", "warmup_cosine"]


def make_scheduler(name, optimizer, total_steps, lr):
    raise NotImplementedError("exercise: make_scheduler: the scheduler called name, or None "
                              "for 'constant' (see the docstring)")


def train(model, optimizer, scheduler, train_batches, epochs):
    raise NotImplementedError("exercise: train: the mean training loss of every epoch "
                              "(see the docstring)")


def scheduler_ablation(make_model, train_batches, test_set, epochs, lr, target):
    raise NotImplementedError("exercise: scheduler_ablation: one fresh model per schedule; "
                              "return the dict of the docstring")
