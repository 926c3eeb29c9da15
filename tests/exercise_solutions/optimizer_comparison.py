import numpy as np

import tinyopt
from tinyopt import nn, optim

OPTIMIZERS = {"SGD": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
              "Adam": lambda params: optim.Adam(params, lr=1e-2),
              "AdamW": lambda params: optim.AdamW(params, lr=1e-2, weight_decay=0.1)}


def optimizer_comparison(make_model, train_batches, test_set, epochs, target):
    loss_fn = nn.CrossEntropyLoss()
    result = {"loss": {}, "test_accuracy": {}, "epochs_to_target": {}}
    for name, make_optimizer in OPTIMIZERS.items():
        model = make_model()
        optimizer = make_optimizer(model.parameters())
        curve = []
        for epoch in range(epochs):
            losses = []
            for x, y in train_batches:
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            curve.append(np.mean(losses))
        x_test, y_test = test_set
        with tinyopt.no_grad():
            right = model(x_test).array.argmax(axis=1) == y_test.array
        result["loss"][name] = curve
        result["test_accuracy"][name] = right.mean()
        result["epochs_to_target"][name] = next(
            (e + 1 for e, value in enumerate(curve) if value < target), None)
    names = list(OPTIMIZERS)
    result["best"] = max(names, key=lambda n: result["test_accuracy"][n])
    reached = [n for n in names if result["epochs_to_target"][n] is not None]
    result["fastest"] = min(reached, key=lambda n: (
        result["epochs_to_target"][n], result["loss"][n][result["epochs_to_target"][n] - 1]),
        default=None)
    return result
