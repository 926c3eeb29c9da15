"""Written without schedulers: each step sets the rate from the schedule's closed form."""
import math

import numpy as np

import tinyopt
from tinyopt import nn, optim

RATES = {"constant": lambda lr, t, T: lr,
         "step": lambda lr, t, T: lr * 0.1 ** (t // (T // 3)),
         "cosine": lambda lr, t, T: lr * (1 + math.cos(math.pi * t / T)) / 2}


def schedule_comparison(make_model, train_batches, test_set, epochs, lr, target):
    T = epochs * len(train_batches)
    loss_fn = nn.CrossEntropyLoss()
    curves, accuracy = {}, {}
    for name, rate in RATES.items():
        model = make_model()
        optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        curves[name] = []
        for epoch in range(epochs):
            losses = []
            for i, (x, y) in enumerate(train_batches):
                t = epoch * len(train_batches) + i
                for group in optimizer.param_groups:
                    group["lr"] = rate(lr, t, T)
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            curves[name].append(float(np.mean(losses)))
        x_test, y_test = test_set
        with tinyopt.no_grad():
            logits = model(x_test).array
        accuracy[name] = float(np.mean(logits.argmax(axis=1) == y_test.array))
    reached = {n: next((e + 1 for e, v in enumerate(c) if v < target), None)
               for n, c in curves.items()}
    ranked = sorted((reached[n], curves[n][reached[n] - 1], n) for n in RATES
                    if reached[n] is not None)
    return {"loss": curves, "test_accuracy": accuracy, "epochs_to_target": reached,
            "best": max(RATES, key=accuracy.get), "fastest": ranked[0][2] if ranked else None}
