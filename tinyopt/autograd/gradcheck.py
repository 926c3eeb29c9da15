"""``gradcheck``: compare autograd's gradient with central finite differences.

For a function f of tensors, autograd gives the gradient of the scalar
s = <r, f(inputs)> for a fixed random r; finite differences give the same
thing element by element:

    ds/dx_i  ~=  (s(x + h e_i) - s(x - h e_i)) / (2 h)

The two must agree to ``atol + rtol * |numerical|`` at every element. Use
float64 inputs: in float32 the differences are dominated by rounding.
"""
import numpy

from .. import backend
from .engine import grad
from .mode import no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` when analytical and numerical gradients disagree."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Check ``fn``'s autograd gradients against finite differences.

    Args:
        fn: takes the tensors in ``inputs`` and returns a Tensor (or a tuple of them).
        inputs: a Tensor or a sequence of Tensors; those with ``requires_grad``
            are checked.
        eps: the finite-difference step h.
        atol, rtol: the allowed absolute and relative error per element.
        raise_exception: raise ``GradcheckError`` on a mismatch (else return False).
        seed: seeds the random projection r of the outputs.

    Returns:
        True when every element agrees.

    The error names the input, the worst element, the numerical (expected)
    and analytical (got) values.

    The finite differences call ``fn`` under ``no_grad``; a ``fn`` that calls
    ``grad`` itself (to check second derivatives) wraps that in ``enable_grad()``.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, nothing to check")
    for i in checked:
        if inputs[i].dtype != numpy.float64:
            raise ValueError(f"gradcheck: input {i} has dtype {inputs[i].dtype}; use float64 "
                             "inputs, finite differences in lower precision are noise")
    generator = numpy.random.default_rng(seed)
    outputs = _as_tuple(fn(*inputs))
    weights = [backend.to_device(generator.standard_normal(o.shape)) for o in outputs]
    projected = sum((o * w).sum() for o, w in zip(outputs, weights))
    analytical = grad(projected, [inputs[i] for i in checked], allow_unused=True)

    def objective():
        with no_grad():
            outs = _as_tuple(fn(*inputs))
            return float(sum(float((o.array * w).sum()) for o, w in zip(outs, weights)))

    for i, got in zip(checked, analytical):
        data = inputs[i].array
        got = backend.to_host(got.array) if got is not None else numpy.zeros(data.shape)
        expected = numpy.zeros(data.shape)
        for flat in range(data.size):
            position = numpy.unravel_index(flat, data.shape)
            original = data[position].item()
            data[position] = original + eps
            plus = objective()
            data[position] = original - eps
            minus = objective()
            data[position] = original
            expected[position] = (plus - minus) / (2 * eps)
        error = numpy.abs(got - expected) - (atol + rtol * numpy.abs(expected))
        if error.size and error.max() > 0:
            worst = numpy.unravel_index(int(error.argmax()), data.shape)
            message = (f"gradcheck failed for input {i} (shape {data.shape}) at index "
                       f"{tuple(int(k) for k in worst)}: numerical (expected) "
                       f"{expected[worst]:.10g}, analytical (got) {got[worst]:.10g}; "
                       f"{int((error > 0).sum())} of {data.size} elements differ beyond "
                       f"atol={atol}, rtol={rtol}")
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def _as_tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)
