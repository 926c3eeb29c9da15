"""Shared by the device tests (strict stand-in, GPU): the numba tests' problem on the backend."""
from tinyopt import backend
from tinyopt.nn import Parameter

from test_kernels_numba import make_problem, second_group_options


def steps_on_backend(optimizer_class, options, executor, dtype):
    """The numba tests' steps (two groups, a parameter that skips steps) with the arrays on the
    current backend; the final parameters on the host."""
    initial, grads = make_problem(dtype)
    params = [Parameter(backend.to_device(x)) for x in initial]
    groups = [{"params": params[:4]},
              {"params": params[4:], **second_group_options(optimizer_class, options)}]
    optimizer = optimizer_class(groups, **options)
    optimizer.executor = executor
    for step_grads in grads:
        for param, grad in zip(params, step_grads):
            param.grad = None if grad is None else backend.to_device(grad)
        optimizer.step()
    return [backend.to_host(p.array) for p in params]
