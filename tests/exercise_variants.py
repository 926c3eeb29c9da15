"""Deliberately wrong student solutions: one line of a correct solution replaced.

Each entry: (exercise, solution file, line replaced, wrong line, the mistake the grader
must name (None: no known mistake), the case number and step of the first divergence,
1-based), and optionally a second (line, replacement).
"""
VARIANTS = [
    ("sgd", "sgd", 'state["buf"].mul_(mu).add_(g, alpha=1 - tau)', 'state["buf"].mul_(mu).add_(g)',
     "momentum without dampening", 2, 2),
    ("sgd", "sgd", 'state["buf"] = g.clone()', 'state["buf"] = g * (1 - tau)',
     "first step not equal to g", 2, 1),
    ("sgd", "sgd", 'g = g.add(buf, alpha=mu) if group["nesterov"] else buf', 'g = buf',
     "Nesterov look-ahead missing", 3, 1),
    ("adagrad", "adagrad", 'state["G"].sqrt() + group["eps"]', '(state["G"] + group["eps"]).sqrt()',
     "eps inside the square root", 2, 1),
    ("adagrad", "adagrad", '(state["t"] - 1) * group["lr_decay"]', 'state["t"] * group["lr_decay"]',
     "lr decay with t instead of t - 1", 2, 1),
    ("adagrad", "adagrad", 'tinyopt.full_like(p, group["initial_accumulator_value"])',
     'tinyopt.zeros_like(p)', "initial accumulator ignored", 3, 1),
    ("rmsprop", "rmsprop", 's = state["v"].sqrt() + group["eps"]',
     's = (state["v"] + group["eps"]).sqrt()', "eps inside the square root", 1, 1),
    ("rmsprop", "rmsprop", 'alpha = group["alpha"]', 'alpha = 1 - group["alpha"]',
     "alpha and 1 - alpha swapped", 1, 1),
    ("rmsprop", "rmsprop", 'if group["centered"]:\n                    state["g_mean"]',
     'if False:\n                    state["g_mean"]', "centered ignored", 3, 1),
    ("adadelta", "adadelta", 'rho, eps = group["rho"]', 'rho, eps = 1 - group["rho"]',
     "rho and 1 - rho swapped", 1, 1),
    ("adadelta", "adadelta", 'p.add_(delta, alpha=-group["lr"])', 'p.sub_(delta)',
     "lr ignored", 2, 1),
    ("adadelta", "adadelta",
     'delta = (state["Edx2"] + eps).sqrt() / (state["Eg2"] + eps).sqrt() * g\n'
     '                state["Edx2"].mul_(rho).addcmul_(delta, delta, value=1 - rho)',
     'delta = (state["Edx2"] + eps).sqrt() / (state["Eg2"] + eps).sqrt() * g\n'
     '                state["Edx2"].mul_(rho).addcmul_(delta, delta, value=1 - rho)\n'
     '                delta = (state["Edx2"] + eps).sqrt() / (state["Eg2"] + eps).sqrt() * g',
     "update accumulator used after its update", 1, 1),
    ("adam", "adam", 'v_hat.sqrt() + group["eps"]', '(v_hat + group["eps"]).sqrt()',
     "eps inside the square root", 1, 3),
    ("adam", "adam", 'm_hat = state["m"] / (1 - beta1 ** t)\n'
     '                v_hat = state["v"] / (1 - beta2 ** t)',
     'm_hat = state["m"]\n                v_hat = state["v"]', "bias correction missing", 1, 1),
    ("adam", "adam", 't = state["t"]', 't = state["t"] + 1', "bias correction with t off by one",
     1, 1),
    ("adam", "adam", 'g = p.grad.add(p, alpha=group["weight_decay"])',
     'g = p.grad\n                p.mul_(1 - group["lr"] * group["weight_decay"])',
     "weight decay decoupled instead of L2", 3, 1),
    ("adam_v0", "adam_v0", 'state["v"].sqrt() + group["eps"]', '(state["v"] + group["eps"]).sqrt()',
     "eps inside the square root", 1, 1),
    ("adam_v0", "adam_v0", 'state["m"].mul_(beta1).add_(g, alpha=1 - beta1)',
     'state["m"].mul_(beta2).add_(g, alpha=1 - beta2)', None, 1, 1),
    ("adam_v0", "adam_v0", 'state["m"].mul_(beta1).add_(g, alpha=1 - beta1)\n'
     '                state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)',
     'state["m"].mul_(beta2).add_(g, alpha=1 - beta2)\n'
     '                state["v"].mul_(beta1).addcmul_(g, g, value=1 - beta1)',
     "beta1 and beta2 swapped", 1, 1),
    ("adam_v0", "adam", 'class Adam(', 'class AdamV0(', "bias correction added", 1, 1),
    ("adamw", "adamw", 'g = p.grad\n                p.mul_(1 - lr * group["weight_decay"])',
     'g = p.grad.add(p, alpha=group["weight_decay"])',
     "weight decay coupled instead of decoupled", 1, 1),
    ("adamw", "adamw", 'p.mul_(1 - lr * group["weight_decay"])\n                state["exp_avg"]',
     'state["exp_avg"]', "weight decay missing", 1, 1),
    ("adamw", "adamw", 'p.mul_(1 - lr * group["weight_decay"])\n                state["exp_avg"]',
     'state["exp_avg"]', "weight decay applied after the update", 1, 1,
     ('p.addcdiv_(m_hat, v_hat.sqrt() + group["eps"], value=-lr)',
      'p.addcdiv_(m_hat, v_hat.sqrt() + group["eps"], value=-lr)\n'
      '                p.mul_(1 - lr * group["weight_decay"])')),
    ("lion", "lion", 'beta1, beta2 = group["betas"]', 'beta2, beta1 = group["betas"]',
     "betas swapped", 1, 1),
    ("lion", "lion", 'p.mul_(1 - lr * group["weight_decay"])\n                c = m * beta1 + g * (1 - beta1)',
     'g = g + p * group["weight_decay"]\n                c = m * beta1 + g * (1 - beta1)',
     "weight decay coupled", 2, 1),
    ("lion", "lion", 'c = m * beta1 + g * (1 - beta1)\n                p.add_(c.sign(), alpha=-lr)\n'
     '                m.lerp_(g, 1 - beta2)',
     'm.lerp_(g, 1 - beta2)\n                c = m * beta1 + g * (1 - beta1)\n'
     '                p.add_(c.sign(), alpha=-lr)', "momentum updated before the sign", 2, 21),
]
VARIANTS += [
    ("lars", "lars", 'd = (g + p * wd) * rho', 'd = g + p * wd', "trust ratio missing", 1, 1),
    ("lars", "lars", 'denom = g_norm + wd * w_norm', 'denom = g_norm',
     "weight decay left out of the trust ratio", 1, 1),
    ("lars", "lars", 'd = (g + p * wd) * rho', 'd = g * rho + p * wd',
     "weight decay outside the scaled step", 1, 1),
    ("lars", "lars", 'if group["exclude_1d"] and p.ndim <= 1:', 'if False:',
     "1-D parameters not excluded", 1, 1),
    ("lamb", "lamb", 'p.add_(u, alpha=-group["lr"] * rho)', 'p.add_(u, alpha=-group["lr"])',
     "trust ratio missing", 1, 1),
    ("lamb", "lamb", 'm_hat = state["m"] / (1 - beta1 ** t)\n'
     '                v_hat = state["v"] / (1 - beta2 ** t)',
     'm_hat = state["m"]\n                v_hat = state["v"]', "bias correction missing", 1, 1),
    ("lamb", "lamb", ' + p * group["weight_decay"]', '', "weight decay missing", 1, 1),
]
VARIANTS += [
    ("warmup_cosine", "warmup_cosine", 'base_lr * step / warmup_steps',
     'base_lr * (step + 1) / warmup_steps', "warmup starts at the peak", 1, 1),
    ("warmup_cosine", "warmup_cosine", '(step - warmup_steps) / (total_steps - warmup_steps)',
     'step / total_steps', "cosine measured from step 0", 1, 6),
    ("warmup_cosine", "warmup_cosine", 'return min_lr + (base_lr - min_lr) *',
     'return base_lr *', "min_lr ignored", 2, 12),
    ("one_cycle", "one_cycle", 'final = initial / final_div_factor', 'final = initial',
     "final_div_factor ignored", 1, 7),
    ("one_cycle", "one_cycle", 'return end + (start - end) * (1 + math.cos(math.pi * pct)) / 2',
     'return start + (end - start) * pct', "linear instead of cosine annealing", 1, 2),
    ("one_cycle", "one_cycle", 'peak = pct_start * total_steps - 1',
     'peak = pct_start * total_steps', "peak at pct_start * total_steps", 1, 2),
]
VARIANTS += [
    ("clip_grad_norm", "clip_grad_norm", 'for g in grads:\n        g.mul_(factor)',
     'for g in grads:\n        g.mul_(min(1.0, max_norm / (float((g * g).sum()) ** 0.5 + 1e-6)))',
     "clipped per tensor", 2, 1),
    ("clip_grad_norm", "clip_grad_norm", 'factor = min(1.0, max_norm / (total + 1e-6))',
     'factor = max_norm / (total + 1e-6)', "scaled even below max_norm", 1, 1),
    ("clip_grad_norm", "clip_grad_norm", '    return total',
     '    return sum(float((g * g).sum()) for g in grads) ** 0.5',
     "returns the norm after clipping", 2, 1),
    ("grad_accumulation", "grad_accumulation", 'loss = loss_fn(model(x), y) / len(micro_batches)',
     'loss = loss_fn(model(x), y)', "loss not divided by the number of micro-batches", 1, 1),
    ("grad_accumulation", "grad_accumulation",
     '    optimizer.zero_grad()\n    for x, y in micro_batches:\n',
     '    for x, y in micro_batches:\n        optimizer.zero_grad()\n', "zero_grad inside the loop",
     1, 1),
    ("grad_accumulation", "grad_accumulation", '        loss.backward()\n    optimizer.step()',
     '        loss.backward()\n        optimizer.step()', "step inside the loop", 1, 1),
]
VARIANTS += [
    ("lr_range_test", "lr_range_test", 'lr = start_lr * (end_lr / start_lr) ** (i / (num_iter - 1))',
     'lr = start_lr + (end_lr - start_lr) * i / (num_iter - 1)',
     "linear instead of geometric sweep", 1, 2),
    ("lr_range_test", "lr_range_test",
     's = loss.item() if i == 0 else smooth_f * loss.item() + (1 - smooth_f) * smoothed[-1]',
     's = loss.item()', "losses not smoothed", 1, 2),
    ("lr_range_test", "lr_range_test", 'if not math.isfinite(s) or s > diverge_th * min(smoothed):',
     'if not math.isfinite(s):', "no stop at divergence", 2, 31),
]
VARIANTS += [
    ("rosenbrock_race", "rosenbrock_race", '            return k\n', '            return k + 1\n',
     "iterations counted from 1", 1, 1),
    ("rosenbrock_race", "rosenbrock_race", '            return None\n', '            return max_steps\n',
     "max_steps returned when never reached", 3, 1),
]
