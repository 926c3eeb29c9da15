import numpy as np

import tinyopt
from tinyopt import nn


def iterations_to_target(make_optimizer, start, target=0.01, max_steps=3000):
    point = nn.Parameter(tinyopt.tensor(np.array(start, dtype=np.float64)))
    optimizer = make_optimizer([point])
    for k in range(max_steps + 1):
        x, y = point[0], point[1]
        loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        if loss.item() < target:
            return k
        if k == max_steps:
            return None
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
