"""``tinyopt.cuda.amp``: PyTorch's older spelling of ``tinyopt.amp`` for CUDA.

``cuda.amp.autocast()`` is ``amp.autocast("cuda")``; ``cuda.amp.GradScaler`` is
``amp.GradScaler``. As PyTorch's, the autocast works on any device here: on
the CPU it simulates float16 products (slowly; see ``tinyopt.amp``).
"""
from ..amp import GradScaler
from ..amp import autocast as _autocast


def autocast(enabled=True, dtype=None, cache_enabled=True):
    """``amp.autocast("cuda", dtype or float16, enabled)``."""
    return _autocast("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


__all__ = ["autocast", "GradScaler"]
