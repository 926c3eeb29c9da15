"""Shared by the frontier optimizers' tests: a smooth loss with analytic gradients, digits data.

``smooth_grads(arrays, step)`` is the gradient of Σᵢ Σ log cosh(Aᵢ θᵢ - bᵢ) + ½‖θ‖²/10 with
``A, b`` drawn from the step number, so a closure re-evaluated at a perturbed point gets
the same answer in NumPy (tinyopt) and torch (the references).
"""
import numpy as np

import tinyopt
from tinyopt import data, nn


def smooth_grads(arrays, step):
    """Gradients at ``arrays`` (NumPy) for the batch of ``step``."""
    rng = np.random.default_rng(1000 + step)
    grads = []
    for x in arrays:
        flat = x.reshape(-1)
        a = rng.standard_normal((flat.size, flat.size))
        b = rng.standard_normal(flat.size)
        grads.append((a.T @ np.tanh(a @ flat - b) + 0.1 * flat).reshape(x.shape))
    return grads


def initial_arrays(shapes, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return [scale * rng.standard_normal(shape) for shape in shapes]


def digits_loaders():
    """Standardised digits (train loader of batch 32, the test arrays)."""
    X_train, y_train, X_test, y_test = data.load_digits(seed=0, flatten=True)
    mean, std = X_train.array.mean(axis=0), X_train.array.std(axis=0) + 0.1
    train = data.DataLoader(data.TensorDataset(tinyopt.Tensor((X_train.array - mean) / std),
                                               y_train), batch_size=32, shuffle=True, seed=0)
    return train, tinyopt.Tensor((X_test.array - mean) / std), y_test


def digits_mlp():
    tinyopt.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def accuracy(model, X, y):
    with tinyopt.no_grad():
        predicted = model(X).array.argmax(axis=1)
    return float((predicted == np.asarray(y.array)).mean())


def run_steps(make, n_steps, shapes, save_at=None, executor="numpy", step_kwargs=None):
    """``n_steps`` of ``make(params)`` on smooth gradients, rebuilt from its ``state_dict`` at
    step ``save_at``; ``step_kwargs(step, arrays)`` gives each ``step()`` call's keywords.
    Returns (the parameters' arrays, the optimizer)."""
    from tinyopt.nn import Parameter
    params = [Parameter(x) for x in initial_arrays(shapes)]
    opt = make(params)
    opt.executor = executor
    for step in range(n_steps):
        if step == save_at:
            saved = opt.state_dict()
            opt = make(params)
            opt.executor = executor
            opt.load_state_dict(saved)
        for p, g in zip(params, smooth_grads([p.array for p in params], step)):
            p.grad = g
        opt.step(**({} if step_kwargs is None else step_kwargs(step, [p.array for p in params])))
    return [p.array for p in params], opt
