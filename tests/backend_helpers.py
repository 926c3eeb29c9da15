"""Shared by the device tests (strict stand-in, GPU): the numba tests' problem on the backend."""
import tinyopt
from tinyopt import backend, data, nn, optim
from tinyopt.train import fit

from test_kernels_numba import make_problem, run


def steps_on_backend(optimizer_class, options, executor, dtype):
    """The numba tests' steps (two groups, a parameter that skips steps) on the current
    backend (``Parameter`` and ``.grad`` move the NumPy arrays there); the results on the host."""
    initial, grads = make_problem(dtype)
    params, _ = run(optimizer_class, options, executor, initial, grads)
    return [backend.to_host(p.array) for p in params]


def fit_digits(kind, samples=192, epochs=2, executor=None):
    """``fit`` of a digits MLP or CNN (AdamW) on the current backend: (history, weights on the
    host). ``executor`` None keeps the backend's default one."""
    tinyopt.manual_seed(0)
    X, y, X_test, y_test = data.load_digits(seed=0, flatten=kind == "mlp")
    loader = data.DataLoader(data.TensorDataset(X[:samples], y[:samples]), batch_size=32,
                             shuffle=True, seed=0)
    val = data.DataLoader(data.TensorDataset(X_test[:64], y_test[:64]), batch_size=32)
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    else:
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(4 * 16, 10))
    optimizer = optim.AdamW(model.parameters(), lr=1e-2)
    if executor is not None:
        optimizer.executor = executor
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=epochs, progress=False,
                  val_loader=val)
    return history, [backend.to_host(p.array) for p in model.parameters()]
