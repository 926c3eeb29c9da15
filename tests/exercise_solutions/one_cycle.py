import math


def anneal(start, end, pct):
    return end + (start - end) * (1 + math.cos(math.pi * pct)) / 2


def one_cycle(step, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    initial = max_lr / div_factor
    final = initial / final_div_factor
    peak = pct_start * total_steps - 1
    if step <= peak:
        return anneal(initial, max_lr, step / peak)
    return anneal(max_lr, final, (step - peak) / (total_steps - 1 - peak))
