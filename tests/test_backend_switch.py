"""The backend switch: bad names and a missing CuPy fail clearly; with a GPU, CuPy runs the same math.

The CuPy test runs only where CuPy and a GPU are present (it skips elsewhere).
"""
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import tinyopt
from tinyopt import backend, nn, optim


@pytest.fixture(autouse=True)
def _restore_numpy_backend():
    yield
    backend.set_backend("numpy")


def test_unknown_backend_names_the_choices():
    with pytest.raises(ValueError, match="'numpy', 'cupy' or 'strict', got 'jax'"):
        backend.set_backend("jax")
    assert backend.xp is np


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed")
def test_cupy_backend_without_cupy_says_how_to_install_it():
    with pytest.raises(RuntimeError, match=r"needs CuPy, which is not installed: pip install "
                       r"'tinyopt\[gpu\]'"):
        backend.set_backend("cupy")
    assert backend.xp is np


def _train_steps(steps=5):
    """AdamW steps of a small MLP from fixed weights on fixed data; the final weights on the host."""
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    rng = np.random.default_rng(0)
    for p in model.parameters():
        p.array = backend.to_device(rng.standard_normal(p.shape))
    x = tinyopt.tensor(backend.to_device(np.linspace(-1, 1, 12).reshape(3, 4)))
    optimizer = optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(steps):
        optimizer.zero_grad()
        (model(x) ** 2).mean().backward()
        optimizer.step()
    return [backend.to_host(p.array) for p in model.parameters()]


def test_cupy_backend_matches_numpy():
    cupy = pytest.importorskip("cupy")
    if cupy.cuda.runtime.getDeviceCount() == 0:
        pytest.skip("no GPU")
    end_numpy = _train_steps()
    backend.set_backend("cupy")
    end_cupy = _train_steps()
    for a, b in zip(end_numpy, end_cupy):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _import_with_backend(name):
    env = {**os.environ, "TINYOPT_BACKEND": name}
    script = "import tinyopt; print(tinyopt.backend.xp.__name__)"
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)


def test_the_environment_picks_the_backend_at_import():
    done = _import_with_backend("strict")
    assert done.returncode == 0 and done.stdout.strip() == "tinyopt.strict"
    done = _import_with_backend("jax")
    assert done.returncode != 0
    assert "TINYOPT_BACKEND must be 'numpy', 'cupy' or 'strict', got 'jax'" in done.stderr
