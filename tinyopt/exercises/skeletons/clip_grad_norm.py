r"""Exercise clip_grad_norm: gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_.

Write ``clip_grad_norm_(parameters, max_norm)``: scale every gradient in
place so that all of them together have norm at most ``max_norm``; return
the total norm from before clipping::

    ‖g‖ = sqrt(Σ over every tensor and element of g²)       ONE norm for all tensors
    c   = min(1, max_norm / (‖g‖ + 1e-6))
    g   ← c g   for every tensor

Hint: one factor c for all tensors keeps the direction of the whole
update; clipping each tensor separately does not. ``p.grad.mul_(c)``
works in place.

Check: ``tinyopt check clip_grad_norm --file clip_grad_norm.py``.
"""
import math  # noqa: F401


def clip_grad_norm_(parameters, max_norm):
    raise NotImplementedError("exercise: clip_grad_norm_: the total norm, then one scale "
                              "factor for all gradients (see the docstring)")
