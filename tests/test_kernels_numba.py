"""The numba executor against the numpy reference: every elementwise rule, every rule path.

Each configuration runs the same steps through both executors, on float32
and float64 parameters of several shapes (0-d, zero-size, a non-contiguous
one in a group of its own, one that sometimes has no gradient) in two
groups, and must agree to rounding. Kernels are compiled once per rule,
kept arrays and dtype, and cached on disk (numba's ``cache=True``), so a
second run of this file compiles nothing.
"""
import numpy as np
import pytest

import tinyopt.optim as optim
from tinyopt.kernels import NumbaExecutor, NumpyExecutor, numba_executor
from tinyopt.nn import Parameter

STEPS = 6

# Every option that changes a rule's path: its flags, and the optional state arrays kept.
CONFIGURATIONS = [
    (optim.SGD, dict(lr=0.1, weight_decay=0.1, maximize=True)),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.1)),
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    (optim.Adagrad, dict(lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
    (optim.RMSprop, {}), (optim.RMSprop, dict(momentum=0.5)),
    (optim.RMSprop, dict(centered=True)),
    (optim.RMSprop, dict(centered=True, momentum=0.5, weight_decay=0.1, maximize=True)),
    (optim.Adadelta, dict(weight_decay=0.1, maximize=True)),
    (optim.Adam, dict(lr=0.01, weight_decay=0.1)),
    (optim.Adam, dict(lr=0.01, amsgrad=True, maximize=True, bias_correction=False)),
    (optim.AdamW, dict(lr=0.01, amsgrad=True)), (optim.AdamW, dict(lr=0.01, maximize=True)),
    (optim.Adamax, dict(weight_decay=0.1, maximize=True)),
    (optim.NAdam, dict(weight_decay=0.1)),
    (optim.NAdam, dict(decoupled_weight_decay=True, weight_decay=0.1, maximize=True)),
    (optim.RAdam, dict(betas=(0.9, 0.9), weight_decay=0.1)),
    (optim.RAdam, dict(decoupled_weight_decay=True, weight_decay=0.1, maximize=True)),
    (optim.Rprop, {}), (optim.Rprop, dict(maximize=True, step_sizes=(1e-3, 0.05))),
    (optim.ASGD, dict(t0=2, weight_decay=0.1, maximize=True)),
    (optim.Lion, dict(lr=0.01, weight_decay=0.1, maximize=True)),
    (optim.LARS, dict(lr=0.1, weight_decay=0.1, nesterov=True, exclude_1d=False)),
    (optim.LAMB, dict(lr=0.01, weight_decay=0.1)),
    (optim.LAMB, dict(lr=0.01, bias_correction=False, trust_clip=0.5, maximize=True)),
    (optim.Adafactor, {}),
    (optim.Adafactor, dict(lr=0.01, relative_step=False, beta1=0.9, weight_decay=0.1)),
    # 8-bit: small blocks and no float32 fallback, so these small tensors are quantized.
    (optim.Adam8bit, dict(lr=0.01, block_size=4, min_8bit_size=1)),
    (optim.AdamW8bit, dict(lr=0.01, block_size=4, min_8bit_size=1)),
    (optim.Lion8bit, dict(lr=0.01, weight_decay=0.1, block_size=4, min_8bit_size=1)),
]
# float32: the loop computes in float32 throughout, also scalar-only terms such as 1 - β₂,
# which NumPy evaluates in float64 (Python floats) before rounding: with β₂ = 0.999 that
# term alone differs by 1.3e-5 relative (cancellation), and later steps inherit it.
TOLERANCE = {np.float64: dict(rtol=1e-13, atol=1e-15), np.float32: dict(rtol=1e-4, atol=1e-5)}


def make_problem(dtype, seed=0):
    """Initial values (one non-contiguous) and per-step gradients; parameter 1 skips some steps."""
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(shape).astype(dtype) for shape in [(3, 4), (7,), (), (0, 3)]]
    wide = rng.standard_normal((4, 6)).astype(dtype)
    initial.append(wide[:, ::2])  # non-contiguous: a view with gaps
    grads = [[rng.standard_normal(x.shape).astype(dtype) for x in initial] for _ in range(STEPS)]
    for step in (1, 4):
        grads[step][1] = None
    return initial, grads


def second_group_options(optimizer_class, options):
    """The second group's own hyper-parameters: another lr (Adafactor's relative step has none)."""
    if optimizer_class is optim.Adafactor and options.get("relative_step", True):
        return {"clip_threshold": 0.5}
    return {"lr": 0.05}


def run(optimizer_class, options, executor, initial, grads):
    params = [Parameter(x if i == 4 else x.copy()) for i, x in enumerate(initial)]
    groups = [{"params": params[:4]},
              {"params": params[4:], **second_group_options(optimizer_class, options)}]
    optimizer = optimizer_class(groups, **options)
    optimizer.executor = executor
    for step_grads in grads:
        for param, grad in zip(params, step_grads):
            param.grad = None if grad is None else grad.copy()
        optimizer.step()
    return params, optimizer


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("optimizer_class, options", CONFIGURATIONS,
                         ids=lambda value: getattr(value, "__name__", None) or str(value))
def test_numba_matches_numpy(optimizer_class, options, dtype):
    initial, grads = make_problem(dtype)
    reference, reference_optimizer = run(optimizer_class, options, "numpy",
                                         [x.copy() for x in initial], grads)
    compiled, compiled_optimizer = run(optimizer_class, options, "numba", initial, grads)
    assert isinstance(compiled_optimizer.executor, NumbaExecutor)
    for index, (mine, theirs) in enumerate(zip(compiled, reference)):
        assert mine.array.dtype == dtype
        np.testing.assert_allclose(mine.array, theirs.array, **TOLERANCE[dtype],
                                   err_msg=f"parameter {index}")
    assert np.shares_memory(initial[4], compiled[4].array), "a lone parameter keeps its array"
    ours, theirs = compiled_optimizer.state_dict(), reference_optimizer.state_dict()
    for index, entry in theirs["state"].items():
        for key, value in entry.items():
            np.testing.assert_allclose(ours["state"][index][key], value, **TOLERANCE[dtype],
                                       err_msg=f"state {index}.{key}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("optimizer_class, options", [
    (optim.AdamW, dict(lr=0.01)), (optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.Lion, dict(lr=0.01, weight_decay=0.1))], ids=["AdamW", "SGD", "Lion"])
def test_parallel_loop_matches_numpy_across_blocks_and_segments(optimizer_class, options, dtype,
                                                                monkeypatch):
    """Segments with their own scalars (one parameter skips steps) straddle the block borders."""
    from tinyopt.kernels.loop_kernel import BLOCK
    monkeypatch.setattr(numba_executor, "PARALLEL_MIN_SIZE", 0)
    rng = np.random.default_rng(1)
    sizes = [BLOCK + 5, BLOCK // 2, 2 * BLOCK - 3, 7]
    initial = [rng.standard_normal(size).astype(dtype) for size in sizes]
    results = []
    for executor in ("numpy", "numba"):
        params = [Parameter(x.copy()) for x in initial]
        optimizer = optimizer_class(params, **options)
        optimizer.executor = executor
        for step in range(4):
            grads = np.random.default_rng(step)
            for index, param in enumerate(params):
                skip = index == 1 and step % 2 == 1
                param.grad = None if skip else grads.standard_normal(param.shape).astype(dtype)
            optimizer.step()
        results.append(params)
    for index, (theirs, mine) in enumerate(zip(*results)):
        np.testing.assert_allclose(mine.array, theirs.array, **TOLERANCE[dtype],
                                   err_msg=f"parameter {index}")
    loads = [load for load in numba_executor.kernel_loads if load.dtype == np.dtype(dtype).name]
    assert loads[-1].parallel


def test_small_calls_run_the_serial_loop_and_large_ones_the_parallel_loop(monkeypatch):
    monkeypatch.setattr(numba_executor, "PARALLEL_MIN_SIZE", 10)
    executor = NumbaExecutor()
    before = len(numba_executor.kernel_loads)

    def add_gradient(p, g):  # a rule of its own, so both of its loops load here
        return p + g

    for size in (3, 30):
        executor.run(add_gradient, [([np.zeros(size), np.ones(size)], ())])
    assert [load.parallel for load in numba_executor.kernel_loads[before:]] == [False, True]


def test_run_skips_absent_buffers_and_writes_non_contiguous_arrays_back():
    def halve_and_count(p, g, count, absent):
        return p - 0.5 * g, count + 1.0, absent + 1.0

    p = np.ones((3, 4))[:, ::2]
    g, count = np.full((3, 2), 2.0), np.zeros((3, 2))
    NumbaExecutor().run(halve_and_count, [([p, g, count, None], ())])
    np.testing.assert_array_equal(p, 0.0)
    np.testing.assert_array_equal(count, 1.0)


def test_float16_runs_on_the_reference():
    results = []
    for executor in ("numpy", "numba"):
        param = Parameter(np.ones(5, dtype=np.float16))
        optimizer = optim.Adam([param, Parameter(np.ones(2, dtype=np.float16))], lr=0.1)
        optimizer.executor = executor
        param.grad = np.ones(5, dtype=np.float16)
        optimizer.step()
        results.append(param.array)
    np.testing.assert_array_equal(*results)


def test_first_call_of_each_kernel_is_logged_once():
    def double_step(p, g):  # a rule of its own: no other test has loaded its loop
        return p - 2.0 * g

    executor = NumbaExecutor()
    before = len(numba_executor.kernel_loads)
    for _ in range(2):
        executor.run(double_step, [([np.ones(3), np.ones(3)], ())])
    loads = numba_executor.kernel_loads[before:]
    assert [(load.rule, load.dtype, load.parallel) for load in loads] == [
        ("double_step", "float64", False)]
    assert loads[0].seconds > 0


def test_executor_selection(monkeypatch):
    from tinyopt.kernels import default_executor_name
    param = Parameter(np.ones(3))
    assert isinstance(optim.SGD([param]).executor, NumbaExecutor)
    optimizer = optim.SGD([param])
    optimizer.executor = "numpy"
    assert isinstance(optimizer.executor, NumpyExecutor)
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")
    assert default_executor_name() == "numpy"
    assert isinstance(optim.SGD([param]).executor, NumpyExecutor)
    monkeypatch.setenv("TINYOPT_EXECUTOR", "fortran")
    with pytest.raises(ValueError, match="TINYOPT_EXECUTOR must be one of"):
        optim.SGD([param])
    with pytest.raises(ValueError, match="executor must be one of"):
        optimizer.executor = "fortran"
