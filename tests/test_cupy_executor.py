"""The CuPy executor on the CPU: its kernels' twins against the numpy and numba executors.

``CupyExecutor(emulate=True)`` runs everything the GPU executor does (rule
forms, one launch per flat group, segment bounds and scalar tables, kept
arrays, writes in place) with each CUDA kernel replaced by its
``KernelTwin``, made from the same ``RuleForm`` as the CUDA text. Against
the NumPy reference it must agree to the tolerance numba is held to (both
compute scalar terms such as 1 - β₂ in float32, NumPy in float64); against
numba, which computes exactly that way too, to 1e-6 (float32) and 1e-12
(float64). ``test_cupy_kernel_source.py`` checks the CUDA text itself.
"""
import numpy as np
import pytest

from tinyopt.kernels import CupyExecutor, get_executor
from tinyopt.kernels.kernel_twin import KernelTwin
from tinyopt.optim import ADOPT, SOAP, AdaHessian, AdamWScheduleFree, Lookahead, Muon, Prodigy
from tinyopt.optim import SGD, SGDScheduleFree

from frontier_helpers import run_steps
from test_kernels_numba import CONFIGURATIONS, TOLERANCE, make_problem, run

SAME_PRECISION = {np.float64: dict(rtol=1e-12, atol=1e-14), np.float32: dict(rtol=1e-6, atol=1e-7)}
IDS = lambda value: getattr(value, "__name__", None) or str(value)  # noqa: E731


def _assert_close(ours, theirs, tolerance, what):
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(mine.array, reference.array, **tolerance,
                                   err_msg=f"{what}: parameter {index}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("optimizer_class, options", CONFIGURATIONS, ids=IDS)
def test_cupy_twin_matches_numpy_and_numba(optimizer_class, options, dtype):
    initial, grads = make_problem(dtype)
    reference, reference_optimizer = run(optimizer_class, options, "numpy",
                                         [x.copy() for x in initial], grads)
    compiled, _ = run(optimizer_class, options, "numba", [x.copy() for x in initial], grads)
    executor = CupyExecutor(emulate=True)
    ours, our_optimizer = run(optimizer_class, options, executor, initial, grads)
    _assert_close(ours, reference, TOLERANCE[dtype], "vs numpy")
    _assert_close(ours, compiled, SAME_PRECISION[dtype], "vs numba")
    for mine in ours:
        assert mine.array.dtype == dtype
    theirs = reference_optimizer.state_dict()["state"]
    for index, entry in our_optimizer.state_dict()["state"].items():
        for key, value in entry.items():
            np.testing.assert_allclose(value, theirs[index][key], **TOLERANCE[dtype],
                                       err_msg=f"state {index}.{key}")


FRONTIER = [
    (lambda p: ADOPT(p, lr=0.01, weight_decay=0.1), "ADOPT"),
    (lambda p: Prodigy(p, weight_decay=0.01), "Prodigy"),
    (lambda p: Muon(p, lr=0.02, weight_decay=0.01), "Muon"),
    (lambda p: SOAP(p, lr=0.01, precondition_frequency=2), "SOAP"),
    (lambda p: SGDScheduleFree(p, lr=0.1, warmup_steps=2), "SGDScheduleFree"),
    (lambda p: AdamWScheduleFree(p, lr=0.01, weight_decay=0.1), "AdamWScheduleFree"),
    (lambda p: Lookahead(SGD(p, lr=0.1, momentum=0.9), k=3), "Lookahead"),
]


@pytest.mark.parametrize("make", [m for m, _ in FRONTIER], ids=[name for _, name in FRONTIER])
def test_cupy_twin_runs_the_frontier_optimizers_as_numpy(make):
    """float64, resumed from a state_dict midway (the rules compose with reductions here)."""
    shapes = ((4, 3), (3, 5), (6, 6))  # matrices, for Muon
    theirs, _ = run_steps(make, 8, shapes, save_at=4)
    ours, optimizer = run_steps(make, 8, shapes, save_at=4, executor=CupyExecutor(emulate=True))
    assert isinstance(optimizer.executor, CupyExecutor)
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-14,
                                   err_msg=f"parameter {index}")


def test_cupy_twin_runs_adahessian_as_numpy():
    rng = np.random.default_rng(7)
    shapes = ((4, 3), (5,))
    estimates = [[rng.standard_normal(s) for s in shapes] for _ in range(6)]
    kwargs = lambda step, arrays: {"hessian": estimates[step]}  # noqa: E731
    make = lambda p: AdaHessian(p, lr=0.05)  # noqa: E731
    theirs, _ = run_steps(make, 6, shapes, step_kwargs=kwargs)
    ours, _ = run_steps(make, 6, shapes, executor=CupyExecutor(emulate=True), step_kwargs=kwargs)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-14)


def test_one_launch_per_group_per_step_and_kernels_are_cached(monkeypatch):
    """Two groups (four packed parameters, one lone non-contiguous one), 6 steps: 12 launches.

    One parameter of the packed group skips steps 1 and 4 (two segments then); every launch
    uses the same cached kernel (the rule, dtype, kept arrays and flags do not change)."""
    launched = []
    original = KernelTwin.__call__

    def counting(self, *arguments):
        launched.append(self)
        return original(self, *arguments)

    monkeypatch.setattr(KernelTwin, "__call__", counting)
    initial, grads = make_problem(np.float32)
    run(SGD, dict(lr=0.1, momentum=0.9), CupyExecutor(emulate=True), initial, grads)
    assert len(launched) == 2 * len(grads)
    assert {twin.form.name for twin in launched} == {"sgd_momentum_rule"}
    assert len(set(map(id, launched))) == 1


def test_other_dtypes_run_on_the_reference():
    from tinyopt.nn import Parameter
    param = Parameter(np.ones(3, dtype=np.float16))
    param.grad = np.full(3, 0.5, dtype=np.float16)
    optimizer = SGD([param], lr=0.1)
    optimizer.executor = CupyExecutor(emulate=True)
    optimizer.step()
    np.testing.assert_array_equal(param.array, np.float16(1 - 0.05))


def test_the_cuda_executor_without_cupy_says_what_is_missing():
    pytest.importorskip("numpy")
    try:
        import cupy  # noqa: F401
        pytest.skip("CuPy is installed: the error under test cannot happen")
    except ImportError:
        pass
    with pytest.raises(RuntimeError, match="needs CuPy.*pip install"):
        get_executor("cupy")
