"""In-place methods (``add_``, ``mul_``, ``zero_``, ``t[i] = v``, ...) and version counters.

Each in-place method computes its result with the ordinary (out-of-place)
op, checks it, and only then writes it into the tensor's own memory, so a
failed call (a shape that would broadcast the destination, a float result
for an integer tensor) changes nothing. Then it bumps the tensor's version
counter.

Autograd and in-place writes meet in two rules, both PyTorch's:

1. A leaf that requires grad cannot be written in place while gradients are
   recorded (its old value would be lost to ``backward``); write it under
   ``no_grad`` — as optimizers do — or write ``p.data``.
2. Every op notes the versions of the tensors its gradient reads. If one of
   them was overwritten in place before ``backward`` gets there, backward
   raises instead of silently using the new values (see ``engine``).

An in-place op on a tensor that is part of a graph is recorded: the tensor
takes the new op's place in the graph, and its old history lives on in a
snapshot, so ``y = x * 2; y.mul_(3)`` gives ``x.grad == 6``.
"""
import numpy

from .. import backend
from .mode import is_grad_enabled, no_grad

_LEAF_MESSAGE = ("a leaf Variable that requires grad is being used in an in-place operation. "
                 "(Write it under `with no_grad():`, as optimizers do, or write `.data`.)")


class InplaceMethods:
    """The in-place methods of ``Tensor`` (mixed in; see the module docstring)."""

    def add_(self, other, *, alpha=1):
        """``self += alpha * other``."""
        return _inplace(self, lambda old: old.add(other, alpha=alpha), other)

    def sub_(self, other, *, alpha=1):
        """``self -= alpha * other``."""
        return _inplace(self, lambda old: old.sub(other, alpha=alpha), other)

    def mul_(self, other):
        """``self *= other``."""
        return _inplace(self, lambda old: old * other, other)

    def div_(self, other):
        """``self /= other``."""
        return _inplace(self, lambda old: old / other, other)

    def pow_(self, exponent):
        """``self **= exponent``."""
        return _inplace(self, lambda old: old ** exponent, exponent)

    def neg_(self):
        """``self = -self``."""
        return _inplace(self, lambda old: -old)

    def abs_(self):
        """``self = |self|``."""
        return _inplace(self, lambda old: old.abs())

    def sqrt_(self):
        """``self = sqrt(self)``."""
        return _inplace(self, lambda old: old.sqrt())

    def exp_(self):
        """``self = exp(self)``."""
        return _inplace(self, lambda old: old.exp())

    def sign_(self):
        """``self = sign(self)``."""
        return _inplace(self, lambda old: old.sign())

    def clamp_(self, min=None, max=None):
        """Clamp into [min, max] in place."""
        return _inplace(self, lambda old: old.clamp(min, max))

    clip_ = clamp_

    def lerp_(self, end, weight):
        """``self += weight * (end - self)`` (PyTorch's ``lerp_``: EMA updates read like this)."""
        return _inplace(self, lambda old: old.lerp(end, weight), end, weight)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """``self += value * tensor1 * tensor2``."""
        return _inplace(self, lambda old: old.add(tensor1 * tensor2, alpha=value),
                        tensor1, tensor2)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """``self += value * tensor1 / tensor2``."""
        return _inplace(self, lambda old: old.add(tensor1 / tensor2, alpha=value),
                        tensor1, tensor2)

    def zero_(self):
        """Fill with zeros."""
        return _inplace(self, lambda old: old * 0)

    def fill_(self, value):
        """Fill with ``value`` (a number or a one-element tensor)."""
        return _inplace(self, lambda old: old * 0 + value, value)

    def copy_(self, src):
        """Copy ``src``'s values in (broadcast to this shape, cast to this dtype)."""
        return _inplace(self, lambda old: old * 0 + src, src)

    def normal_(self, mean=0.0, std=1.0):
        """Fill with draws from N(mean, std^2), from tinyopt's generator (``manual_seed``)."""
        return _fill_random(self, lambda rng, shape: rng.normal(mean, std, shape))

    def uniform_(self, a=0.0, b=1.0):
        """Fill with draws from U(a, b), from tinyopt's generator."""
        return _fill_random(self, lambda rng, shape: rng.uniform(a, b, shape))

    def __iadd__(self, other): return self.add_(other)
    def __isub__(self, other): return self.sub_(other)
    def __imul__(self, other): return self.mul_(other)
    def __itruediv__(self, other): return self.div_(other)
    def __ipow__(self, other): return self.pow_(other)

    def __setitem__(self, index, value):
        from .ops.shape import index_put, raw_index
        if not _recording(self, (value,)):
            _check_writable(self)
            self.array[raw_index(index)] = _raw(value)
            self._version_box[0] += 1
            return
        _inplace(self, lambda old: index_put(old, index, value), value)


def _inplace(self, compute, *operands):
    """Write ``compute(old)`` into ``self``'s memory, record it in the graph, bump the version."""
    recording = _recording(self, operands)
    if recording:
        if self.requires_grad and self.is_leaf:
            raise RuntimeError(_LEAF_MESSAGE)
        result = compute(_snapshot(self).clone())
    else:
        _check_writable(self)
        with no_grad():
            result = compute(self)
    result = _fit_to(self, result, recording)
    self.array[...] = result.array
    self._version_box[0] += 1
    if recording:
        self._parents, self._backward, self._op = result._parents, result._backward, result._op
        self._saved = result._saved
        self._output_version = None if result._output_version is None else self._version_box[0]
        self.requires_grad = result.requires_grad
    return self


def _recording(tensor, operands):
    if not is_grad_enabled():
        return False
    return tensor.requires_grad or any(getattr(o, "requires_grad", False) for o in operands)


def _check_writable(tensor):
    if tensor.requires_grad and tensor.is_leaf and is_grad_enabled():
        raise RuntimeError(_LEAF_MESSAGE)


def _snapshot(tensor):
    """A new Tensor object holding ``tensor``'s place in the graph (same memory and version)."""
    old = type(tensor).__new__(type(tensor))
    old.__dict__.update(tensor.__dict__)
    old._grad = None
    return old


def _fit_to(destination, result, recording):
    """``result`` checked to fit ``destination`` (shape, dtype), cast to its dtype."""
    if result.shape != destination.shape:
        raise RuntimeError(f"output with shape {list(destination.shape)} doesn't match the "
                           f"broadcast shape {list(result.shape)}")
    if result.dtype != destination.dtype:
        if not numpy.can_cast(result.dtype, destination.dtype, casting="same_kind"):
            raise RuntimeError(f"result type {result.dtype} can't be cast to the desired output "
                               f"type {destination.dtype}")
        if recording:
            result = result.to(destination.dtype)
    return result


def _fill_random(tensor, draw):
    _check_writable(tensor)
    values = draw(backend.rng(), tensor.shape)
    tensor.array[...] = values
    tensor._version_box[0] += 1
    return tensor


def _raw(value):
    return value.array if hasattr(value, "array") and hasattr(value, "_version_box") else value
