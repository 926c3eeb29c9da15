"""``tinyopt.cuda``: is a GPU there? (PyTorch's ``torch.cuda`` questions, answered by CuPy.)

``device = "cuda" if tinyopt.cuda.is_available() else "cpu"`` picks the GPU
where CuPy and an NVIDIA GPU exist, else NumPy on the CPU.
"""
from .. import backend
from . import amp


def is_available():
    """True when CuPy is installed and sees a GPU."""
    return backend.cuda_is_available()


def device_count():
    """How many GPUs CuPy sees (0 without CuPy)."""
    if not is_available():
        return 0
    import cupy
    return int(cupy.cuda.runtime.getDeviceCount())


__all__ = ["is_available", "device_count", "amp"]
