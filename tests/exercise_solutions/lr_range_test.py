import math


def lr_range_test(model, optimizer, loss_fn, batches, start_lr, end_lr, num_iter,
                  smooth_f=0.05, diverge_th=5.0):
    lrs, smoothed = [], []
    for i in range(num_iter):
        lr = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = batches[i % len(batches)]
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        s = loss.item() if i == 0 else smooth_f * loss.item() + (1 - smooth_f) * smoothed[-1]
        lrs.append(lr)
        smoothed.append(s)
        if not math.isfinite(s) or s > diverge_th * min(smoothed):
            break
    return lrs, smoothed
