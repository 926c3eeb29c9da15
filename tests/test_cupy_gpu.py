"""On a real GPU: the CUDA kernels, training and checkpoints against the CPU.

Every test here needs CuPy and an NVIDIA GPU and is skipped, with that
reason, elsewhere (tinyopt's CI has no GPU: these have not run there). What
the CPU can check of the same code runs in ``test_cupy_executor.py``,
``test_cupy_kernel_source.py`` and ``test_strict_backend.py``.

- every optimizer configuration of the zoo, float32 and float64, with the
  generated CUDA kernels: against the kernels' CPU twins (same precision,
  1e-6 / 1e-12) and against the NumPy reference (numba's tolerance: the
  kernels compute scalar terms such as 1 - β₂ in the array's dtype);
- the digits MLP and CNN trained by ``fit`` on the GPU and on the CPU;
- an optimizer state saved on the GPU, loaded on the CPU and back.
"""
import numpy as np
import pytest

import tinyopt
from tinyopt import backend, optim
from tinyopt.kernels import CupyExecutor
from tinyopt.nn import Parameter

from backend_helpers import fit_digits, steps_on_backend
from test_cupy_executor import SAME_PRECISION
from test_kernels_numba import CONFIGURATIONS, TOLERANCE

pytestmark = pytest.mark.skipif(not backend.cuda_is_available(),
                                reason="needs CuPy and an NVIDIA GPU: pip install "
                                       "'tinyopt[gpu]' on a machine with one")


@pytest.fixture
def on_gpu():
    backend.set_backend("cupy")
    yield
    backend.set_backend("numpy")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("optimizer_class, options", CONFIGURATIONS,
                         ids=lambda value: getattr(value, "__name__", None) or str(value))
def test_cuda_kernels_match_their_twins_and_numpy(optimizer_class, options, dtype, on_gpu):
    kernels = steps_on_backend(optimizer_class, options, CupyExecutor(), dtype)
    twins = steps_on_backend(optimizer_class, options, CupyExecutor(emulate=True), dtype)
    backend.set_backend("numpy")
    reference = steps_on_backend(optimizer_class, options, "numpy", dtype)
    for index, (mine, twin, theirs) in enumerate(zip(kernels, twins, reference)):
        np.testing.assert_allclose(mine, twin, **SAME_PRECISION[dtype],
                                   err_msg=f"parameter {index} vs the CPU twin")
        np.testing.assert_allclose(mine, theirs, **TOLERANCE[dtype],
                                   err_msg=f"parameter {index} vs numpy")


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_training_on_the_gpu_equals_the_cpu(kind, on_gpu):
    gpu_history, gpu_weights = fit_digits(kind, samples=320)
    backend.set_backend("numpy")
    cpu_history, cpu_weights = fit_digits(kind, samples=320)
    gpu_losses, cpu_losses = gpu_history.steps["loss"], cpu_history.steps["loss"]
    # float32 throughout; cuBLAS sums in another order than the CPU's BLAS
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-4)
    for mine, theirs in zip(gpu_weights, cpu_weights):
        np.testing.assert_allclose(mine, theirs, rtol=1e-3, atol=1e-4)


def test_state_dict_saved_on_the_gpu_loads_on_the_cpu_and_back(on_gpu, tmp_path):
    rng = np.random.default_rng(0)
    start = [rng.standard_normal((4, 3)), rng.standard_normal(5)]
    grads = [[rng.standard_normal(x.shape) for x in start] for _ in range(6)]

    def steps(params, optimizer, numbers):
        for number in numbers:
            for param, grad in zip(params, grads[number]):
                param.grad = backend.to_device(grad)
            optimizer.step()

    params = [Parameter(backend.to_device(x)) for x in start]
    optimizer = optim.AdamW(params, lr=0.01)
    steps(params, optimizer, range(2))
    tinyopt.save({"params": [p.data for p in params], "optimizer": optimizer.state_dict()},
                 tmp_path / "gpu.pt")
    backend.set_backend("numpy")
    saved = tinyopt.load(tmp_path / "gpu.pt")
    host_params = [Parameter(p.array) for p in saved["params"]]
    host_optimizer = optim.AdamW(host_params, lr=0.01)
    host_optimizer.load_state_dict(saved["optimizer"])
    steps(host_params, host_optimizer, range(2, 4))
    backend.set_backend("cupy")
    params = [Parameter(backend.to_device(p.array)) for p in host_params]
    optimizer = optim.AdamW(params, lr=0.01)
    optimizer.load_state_dict(host_optimizer.state_dict())
    steps(params, optimizer, range(4, 6))

    backend.set_backend("numpy")
    reference = [Parameter(x.copy()) for x in start]
    reference_optimizer = optim.AdamW(reference, lr=0.01)
    steps(reference, reference_optimizer, range(6))
    for mine, theirs in zip(params, reference):
        np.testing.assert_allclose(backend.to_host(mine.array), theirs.array, rtol=1e-5,
                                   atol=1e-7)
