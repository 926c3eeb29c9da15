import tinyopt
from tinyopt import nn, optim
from tinyopt.optim import lr_scheduler

SCHEDULES = ["constant", "step", "cosine", "onecycle", "warmup_cosine"]


def make_scheduler(name, optimizer, total_steps, lr):
    if name == "constant":
        return None
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=total_steps // 3, gamma=0.1)
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    if name == "onecycle":
        return lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=total_steps)
    return lr_scheduler.WarmupCosineLR(optimizer, warmup_steps=total_steps // 10,
                                       total_steps=total_steps)


def train(model, optimizer, scheduler, train_batches, epochs):
    loss_fn = nn.CrossEntropyLoss()
    curve = []
    for epoch in range(epochs):
        total = 0.0
        for x, y in train_batches:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += loss.item()
        curve.append(total / len(train_batches))
    return curve


def test_accuracy(model, x, y):
    with tinyopt.no_grad():
        predicted = model(x).array.argmax(axis=1)
    return float((predicted == y.array).mean())


def scheduler_ablation(make_model, train_batches, test_set, epochs, lr, target):
    total_steps = epochs * len(train_batches)
    loss, accuracy, reached = {}, {}, {}
    for name in SCHEDULES:
        model = make_model()
        optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        scheduler = make_scheduler(name, optimizer, total_steps, lr)
        loss[name] = train(model, optimizer, scheduler, train_batches, epochs)
        accuracy[name] = test_accuracy(model, *test_set)
        below = [e for e, value in enumerate(loss[name], start=1) if value < target]
        reached[name] = below[0] if below else None
    best = SCHEDULES[0]
    for name in SCHEDULES:
        if accuracy[name] > accuracy[best]:
            best = name
    candidates = [(reached[n], loss[n][reached[n] - 1], i) for i, n in enumerate(SCHEDULES)
                  if reached[n] is not None]
    fastest = SCHEDULES[min(candidates)[2]] if candidates else None
    return {"loss": loss, "test_accuracy": accuracy, "epochs_to_target": reached,
            "best": best, "fastest": fastest}
