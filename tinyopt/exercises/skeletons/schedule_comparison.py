r"""Exercise schedule_comparison: constant rate vs step decay vs cosine annealing, one model.

Write ``schedule_comparison(make_model, train_batches, test_set, epochs, lr, target)``.
``make_model()`` builds an MLP for flattened digits (64 -> 32 -> 10) with the same
initial weights at every call; ``train_batches`` is a list of ``(x, y)`` batches,
``test_set`` the pair ``(x_test, y_test)``. Train one fresh model per schedule with
``SGD(lr, momentum=0.9)``; with T = epochs * len(train_batches) optimizer steps::

    "constant"   no scheduler
    "step"       StepLR(optimizer, step_size=T // 3, gamma=0.1)
    "cosine"     CosineAnnealingLR(optimizer, T_max=T)

Each step: ``zero_grad``, ``loss = CrossEntropyLoss()(model(x), y)``, ``backward``,
``optimizer.step()``, then ``scheduler.step()``. Return::

    {"loss": {name: [mean of the batch losses of each epoch]},
     "test_accuracy": {name: fraction of argmax(model(x_test)) == y_test},
     "epochs_to_target": {name: first epoch (1, 2, ...) whose mean loss < target, or None},
     "best": the name with the highest test accuracy (ties: the first in the list above),
     "fastest": the name with the fewest epochs to target (ties: the lower loss at that
                epoch; None if none reaches it)}

Then look: what does decaying the rate cost early, and what does it buy at the end?

Hint: ``tinyopt.optim.lr_scheduler.StepLR`` and ``CosineAnnealingLR``; accuracy under
``tinyopt.no_grad()``.

Check: ``tinyopt check schedule_comparison --file schedule_comparison.py``.
"""
SCHEDULES = ["constant", "step", "cosine"]


def schedule_comparison(make_model, train_batches, test_set, epochs, lr, target):
    raise NotImplementedError("exercise: schedule_comparison: one fresh model per schedule; "
                              "return the dict of the docstring")
