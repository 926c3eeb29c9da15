"""Shared by the device tests (strict stand-in, GPU): the numba tests' problem on the backend."""
from tinyopt import backend

from test_kernels_numba import make_problem, run


def steps_on_backend(optimizer_class, options, executor, dtype):
    """The numba tests' steps (two groups, a parameter that skips steps) on the current
    backend (``Parameter`` and ``.grad`` move the NumPy arrays there); the results on the host."""
    initial, grads = make_problem(dtype)
    params, _ = run(optimizer_class, options, executor, initial, grads)
    return [backend.to_host(p.array) for p in params]
