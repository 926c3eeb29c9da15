import math

from tinyopt import nn, optim
from tinyopt.optim.lr_scheduler import WarmupCosineLR


def warmup_comparison(make_model, batches, lr, warmup_steps):
    loss_fn = nn.CrossEntropyLoss()
    result = {"loss": {}, "grad_norm": {}, "max_grad_norm": {}, "final_loss": {}}
    for run, warmup in (("no warmup", 0), ("warmup", warmup_steps)):
        model = make_model()
        optimizer = optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        scheduler = WarmupCosineLR(optimizer, warmup_steps=warmup, total_steps=len(batches))
        losses, norms = [], []
        for x, y in batches:
            optimizer.zero_grad()
            logits = model(x)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            loss.backward()
            norms.append(math.sqrt(sum(float((p.grad.array ** 2).sum())
                                       for p in model.parameters())))
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
        result["loss"][run], result["grad_norm"][run] = losses, norms
        result["max_grad_norm"][run] = max(norms)
        result["final_loss"][run] = sum(losses[-5:]) / 5
    return result
