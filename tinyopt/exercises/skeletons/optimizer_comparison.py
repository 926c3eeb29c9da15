r"""Exercise optimizer_comparison: SGD vs Adam vs AdamW from the same start.

Write ``optimizer_comparison(make_model, train_batches, test_set, epochs, target)``.
``make_model()`` builds an MLP for flattened digits (64 -> 32 -> 10) with the same
initial weights at every call; ``train_batches`` is a list of ``(x, y)`` batches,
``test_set`` the pair ``(x_test, y_test)``. Train one fresh model per optimizer::

    "SGD"     SGD(params, lr=0.1, momentum=0.9)
    "Adam"    Adam(params, lr=1e-2)
    "AdamW"   AdamW(params, lr=1e-2, weight_decay=0.1)

Each step: ``zero_grad``, ``loss = CrossEntropyLoss()(model(x), y)``, ``backward``,
``optimizer.step()``. Return::

    {"loss": {name: [mean of the batch losses of each epoch]},
     "test_accuracy": {name: fraction of argmax(model(x_test)) == y_test},
     "epochs_to_target": {name: first epoch (1, 2, ...) whose mean loss < target, or None},
     "best": the name with the highest test accuracy (ties: the first in the list above),
     "fastest": the name with the fewest epochs to target (ties: the lower loss at that
                epoch; None if none reaches it)}

Then look: is the fastest to converge also the most accurate at the end?

Hint: accuracy under ``tinyopt.no_grad()``, from ``logits.array.argmax(axis=1)``.

Check: ``tinyopt check optimizer_comparison --file optimizer_comparison.py``.
"""
OPTIMIZERS = ["SGD", "Adam", "AdamW"]


def optimizer_comparison(make_model, train_batches, test_set, epochs, target):
    raise NotImplementedError("exercise: optimizer_comparison: one fresh model per optimizer; "
                              "return the dict of the docstring")
