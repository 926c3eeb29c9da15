"""Mixed precision, where PyTorch keeps it (``torch.amp``): ``autocast`` and ``GradScaler``.

- ``autocast(device_type, dtype)``: matrix products in float16 or (emulated) bfloat16;
- ``GradScaler``: loss scaling for float16 backward passes, skipping steps with inf/NaN;
- ``LowPrecisionModel``: an explicit float16/bfloat16 working copy of a float32 model
  (master weights), for seeing each cast the way the mixed-precision paper draws them.
"""
from .autocast_mode import autocast, is_autocast_enabled
from .grad_scaler import GradScaler
from .mixed_precision import PRECISIONS, LowPrecisionModel
from ..autograd.ops.elementwise import round_to_bfloat16

__all__ = ["autocast", "is_autocast_enabled", "GradScaler", "LowPrecisionModel", "PRECISIONS",
           "round_to_bfloat16"]
