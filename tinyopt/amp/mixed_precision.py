r"""Mixed precision: a float16 (or emulated bfloat16) working copy of a float32 model.

Mixed-precision training (Micikevicius et al., 2018) keeps the weights the
optimizer updates — the *master* weights — in float32, and runs the
forward and backward passes on a low-precision copy of them:

    copy ← cast(master)                  (``copy_weights_from_master``)
    loss = loss_fn(copy(x), y)           forward in low precision, loss in float32
    (S · loss).backward()                backward in low precision (S: GradScaler)
    master.grad += cast(copy.grad)       (``copy_grads_to_master``)
    optimizer.step() on the master       small updates are not lost to rounding

``LowPrecisionModel(model, "float16")`` is that copy: its parameters are
float16 arrays, inputs are cast on the way in and the output is cast to
float32 on the way out (so the loss and softmax run in float32, as under
PyTorch's autocast). The optimizer is built on ``model.parameters()`` —
the float32 masters.

bfloat16 has float32's 8 exponent bits (range up to 3e38, no underflow
trouble) but only 8 significant bits (float16 has 11). NumPy has no
bfloat16, so ``"bfloat16"`` is emulated: arrays stay float32 but every
weight, every input and output of each leaf layer, and every gradient
flowing back through them is rounded to the nearest bfloat16
(``round_to_bfloat16``, ties to even). Arithmetic inside a layer runs in
float32, as bfloat16 hardware accumulates in float32.

Example::

    >>> half = LowPrecisionModel(model, "float16")
    >>> optimizer, scaler = SGD(model.parameters(), lr=0.1), GradScaler()
    >>> for x, y in loader:
    ...     half.copy_weights_from_master(); optimizer.zero_grad()
    ...     scaler.scale(loss_fn(half(x), y)).backward()
    ...     half.copy_grads_to_master()
    ...     scaler.step(optimizer); scaler.update()
"""
import copy

from .. import backend
from ..autograd import Tensor
from ..autograd.ops.elementwise import bfloat16_round, round_to_bfloat16

PRECISIONS = ("float16", "bfloat16")


def _to_precision(tensor, precision):
    if not isinstance(tensor, Tensor) or not backend.is_float(tensor.dtype):
        return tensor
    if precision == "float16":
        return tensor.half() if tensor.requires_grad else Tensor(tensor.array.astype("float16"))
    return bfloat16_round(tensor)


def _rounding_forward(forward):
    def rounded(*args, **kwargs):
        output = forward(*(_to_precision(a, "bfloat16") for a in args), **kwargs)
        if isinstance(output, tuple):
            return tuple(_to_precision(o, "bfloat16") for o in output)
        return _to_precision(output, "bfloat16")
    return rounded


class LowPrecisionModel:
    """A float16 or bfloat16 working copy of ``model``, whose float32 parameters stay the masters.

    Args:
        model: the float32 model the optimizer updates.
        precision: ``"float16"`` (real float16 arrays) or ``"bfloat16"`` (emulated).

    Calling it runs the copy: float inputs are cast to ``precision``, the
    output comes back as float32. ``copy_weights_from_master()`` before each
    forward pass, ``copy_grads_to_master()`` after each backward pass.
    """

    def __init__(self, model, precision="float16"):
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        self.master, self.precision = model, precision
        self.module = copy.deepcopy(model)
        if precision == "bfloat16":
            for layer in self.module.modules():
                if not any(True for _ in layer.children()):
                    layer.forward = _rounding_forward(layer.forward)
        self.copy_weights_from_master()

    def _pairs(self):
        return zip(self.master.parameters(), self.module.parameters())

    def copy_weights_from_master(self):
        """Set the copy's weights to the masters', rounded to the low precision."""
        for master, working in self._pairs():
            if self.precision == "float16":
                working.array = master.array.astype("float16")
            else:
                working.array = round_to_bfloat16(master.array)

    def copy_grads_to_master(self):
        """Add the copy's gradients (as float32) to the masters' ``.grad`` and clear the copy's;
        copy its buffers (e.g. batch-norm statistics) back too."""
        for master, working in self._pairs():
            if working.grad is None:
                continue
            grad = working.grad.array.astype(master.array.dtype)
            if master.grad is None:
                master.grad = grad
            else:
                master.grad.array += grad
            working.grad = None
        for master, working in zip(self.master.buffers(), self.module.buffers()):
            master.array[...] = working.array

    def __call__(self, *inputs, **kwargs):
        self.module.train(self.master.training)
        output = self.module(*(_to_precision(x, self.precision) for x in inputs), **kwargs)
        return output.float() if isinstance(output, Tensor) else output

    def __repr__(self):
        return f"LowPrecisionModel({self.precision}, {self.master!r})"
