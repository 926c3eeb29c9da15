"""Scalars computed on the device (norms, trust ratios, Prodigy's d) reach the rules there.

``kernels.scalar_table`` builds a compiled executor's table of scalars on
the device when a row holds a device scalar, and the numpy executor hands a
0-d NumPy scalar to its rule as a Python number (weak, as a literal). The
optimizers' branches on such values (a zero norm, Prodigy's ‖s‖₁ = 0) are
``where``s: tested here on NumPy and on the strict stand-in for CuPy, whose
arrays refuse every implicit host read.
"""
import numpy as np
import pytest

from tinyopt import backend, optim
from tinyopt.kernels import CupyExecutor
from tinyopt.kernels.scalar_table import is_on_device, rule_scalars, same_scalars, scalar_table
from tinyopt.nn import Parameter
from tinyopt.strict_backend import StrictArray


@pytest.fixture
def strict():
    backend.set_backend("strict")
    yield backend.xp
    backend.set_backend("numpy")


def test_a_table_with_device_scalars_is_built_on_the_device_equal_to_the_host_one(strict):
    host_rows = [(0.5, 2.0, True), (0.25, 1.0, False), (3.0, -1.5, True)]
    device_rows = [(0.5, strict.sqrt(strict.asarray(np.array(4.0))), True), host_rows[1],
                   (strict.asarray(np.array(3.0)), -1.5, strict.asarray(np.array(True)))]
    for dtype in (np.float32, np.float64):
        table = scalar_table(device_rows, 3, dtype)
        assert isinstance(table, StrictArray) and table.dtype == dtype and table.shape == (3, 3)
        np.testing.assert_array_equal(backend.to_host(table), np.array(host_rows, dtype=dtype))
        host = scalar_table(host_rows, 3, dtype)  # only numbers: a NumPy table, as before
        assert type(host) is np.ndarray and host.dtype == dtype
    assert type(scalar_table([], 2, np.float64)) is np.ndarray


def test_rows_with_device_scalars_are_equal_only_when_they_hold_the_same_arrays(strict):
    ratio = strict.asarray(np.array(0.5))
    assert same_scalars((0.1, ratio, True), (0.1, ratio, True))
    assert not same_scalars((0.1, ratio), (0.1, strict.asarray(np.array(0.5))))  # no host read
    assert not same_scalars((0.1, ratio), (0.2, ratio))
    assert same_scalars((0.1, 2.0), (0.1, 2.0)) and not same_scalars((0.1, 2.0), (0.1, 3.0))
    assert is_on_device(ratio) and not is_on_device(np.array(0.5)) and not is_on_device(0.5)


def test_the_numpy_executor_hands_numpy_scalars_to_rules_as_python_numbers():
    scalars = rule_scalars([np.float64(0.1), np.array(2.0), np.bool_(True), 3, False])
    assert scalars == [0.1, 2.0, True, 3, False]
    assert [type(s) for s in scalars] == [float, float, bool, int, bool]
    # so a float32 rule stays float32: NumPy promotes float32 by a float64 array, not a number
    assert (np.ones(2, np.float32) * scalars[0]).dtype == np.float32


def _run(make, initial, grads, executor):
    params = [Parameter(backend.to_device(x.copy())) for x in initial]
    optimizer = make(params)
    optimizer.executor = executor() if callable(executor) else executor
    for step_grads in grads:
        for param, grad in zip(params, step_grads):
            param.grad = backend.to_device(grad)
        optimizer.step()
    return [backend.to_host(p.array) for p in params], optimizer


CASES = {  # each takes a branch that reads a device value: a zero norm, ‖s‖₁ = 0
    "LARS zero weights": (lambda p: optim.LARS(p, lr=0.1, weight_decay=0.1, exclude_1d=False),
                          "zeros"),
    "LAMB zero weights": (lambda p: optim.LAMB(p, lr=0.1, weight_decay=0.1, trust_clip=2.0),
                          "zeros"),
    "Prodigy zero gradients": (lambda p: optim.Prodigy(p, weight_decay=0.1, fixed_decay=True),
                               "zero grads"),
}


@pytest.mark.parametrize("executor", ["numpy", "numba", "cupy-twin"])
@pytest.mark.parametrize("name", CASES)
def test_branches_on_device_values_take_the_same_path_on_every_backend(name, executor):
    make, kind = CASES[name]
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (5,)]
    initial = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(4)]
    if kind == "zeros":
        initial[0][...] = 0.0
    else:  # two steps of zero gradients: no estimate of d yet, so no weight may move
        grads[0] = grads[1] = [np.zeros(s) for s in shapes]
    run_on = {"numpy": "numpy", "numba": "numba",
              "cupy-twin": lambda: CupyExecutor(emulate=True)}[executor]
    reference, _ = _run(make, initial, grads, "numpy")
    if kind == "zero grads":
        still, optimizer = _run(make, initial, grads[:2], run_on)
        for before, after in zip(initial, still):  # fixed_decay would shrink them otherwise
            np.testing.assert_array_equal(after, before)
        assert optimizer.param_groups[0]["d"] == 1e-6
    backend.set_backend("strict" if executor == "cupy-twin" else "numpy")
    try:
        ours, _ = _run(make, initial, grads, run_on)
    finally:
        backend.set_backend("numpy")
    for mine, theirs in zip(ours, reference):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-15)
    assert not np.allclose(reference[0], initial[0])  # the later steps did move the weights


def test_adafactor_state_dict_from_the_device_loads_and_resumes_exactly(strict):
    rng = np.random.default_rng(2)
    shapes = [(4, 3), (5,)]
    initial = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(4)]
    make = lambda p: optim.Adafactor(p, beta1=0.9)  # noqa: E731
    straight, _ = _run(make, initial, grads, "numpy")
    halfway, first = _run(make, initial, grads[:2], "numpy")
    saved = first.state_dict()
    assert isinstance(saved["state"][0]["RMS"], StrictArray)  # a step read nothing back
    params = [Parameter(backend.to_device(x)) for x in halfway]
    resumed = make(params)
    resumed.executor = "numpy"
    resumed.load_state_dict(saved)
    assert isinstance(saved["state"][0]["RMS"], StrictArray)  # the caller's dict is unchanged
    assert resumed.state[params[0]]["RMS"] == pytest.approx(backend.to_host(
        saved["state"][0]["RMS"]), rel=1e-15)
    for step_grads in grads[2:]:
        for param, grad in zip(params, step_grads):
            param.grad = backend.to_device(grad)
        resumed.step()
    for param, theirs in zip(params, straight):
        np.testing.assert_allclose(backend.to_host(param.array), theirs, rtol=1e-13)
