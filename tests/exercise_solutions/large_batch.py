import tinyopt
from tinyopt import nn, optim


def gradients_two_ways(model, x, y, micro_batch):
    loss_fn = nn.CrossEntropyLoss()
    model.zero_grad()
    loss_fn(model(x), y).backward()
    full = [p.grad.array.copy() for p in model.parameters()]
    model.zero_grad()
    k = len(x) // micro_batch
    for i in range(0, len(x), micro_batch):
        loss = loss_fn(model(x[i:i + micro_batch]), y[i:i + micro_batch]) / k
        loss.backward()
    return full, [p.grad.array.copy() for p in model.parameters()]


def run(model, optimizer, x, y, steps, bfloat16=False):
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        if bfloat16:
            with tinyopt.amp.autocast("cpu"):
                loss = loss_fn(model(x), y)
        else:
            loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def large_batch(make_model, x, y, lrs, steps, micro_batch, target, amp_lr):
    full, accumulated = gradients_two_ways(make_model(), x, y, micro_batch)
    makers = {"SGD": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9),
              "LARS": lambda p, lr: optim.LARS(p, lr=lr, momentum=0.9, trust_coefficient=0.01)}
    final = {}
    for name, make in makers.items():
        final[name] = []
        for lr in lrs:
            model = make_model()
            run(model, make(model.parameters(), lr), x, y, steps)
            with tinyopt.no_grad():
                final[name].append(nn.CrossEntropyLoss()(model(x), y).item())
    mixed = {}
    for precision in ("float32", "bfloat16"):
        model = make_model()
        mixed[precision] = run(model, optim.SGD(model.parameters(), lr=amp_lr, momentum=0.9),
                               x, y, steps, bfloat16=precision == "bfloat16")
    return {"gradients": {"full": full, "accumulated": accumulated},
            "final_loss": final,
            "lrs_that_train": {n: len([v for v in final[n] if v < target]) for n in final},
            "best_lr": {n: lrs[final[n].index(min(final[n]))] for n in final},
            "mixed_precision": mixed}
