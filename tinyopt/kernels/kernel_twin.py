"""The GPU kernel's twin in the array module: how the CPU tests see what the CUDA source computes.

CUDA cannot run without a GPU, so the CuPy executor's tests replace each
``cupy.ElementwiseKernel`` by a ``KernelTwin`` made from the same
``RuleForm`` and called with the same arguments. Node for node it does what
``cuda_source`` writes: arithmetic in the array's dtype (literals and
scalars cast to it, as the kernel's ``float(0.9)`` and its float table),
``where`` for ``?:``, NaN-keeping ``maximum``/``minimum``/``sign``, and the
segment search (each element reads the scalars of the segment holding it;
elements outside every segment are left alone).

It is written against ``backend.xp``, so it runs on NumPy, on the strict
stand-in backend, and on CuPy itself. What it cannot check is the C text
itself; ``tests/test_cupy_kernel_source.py`` does that by compiling the
generated operation as C++ on the CPU.
"""
import numpy

from .. import backend

_BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
           "/": lambda a, b: a / b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
           ">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "==": lambda a, b: a == b,
           "!=": lambda a, b: a != b}


class KernelTwin:
    """Callable as the rule's ``ElementwiseKernel``: ``(grad?, table, starts, stops, n, *outs)``."""

    def __init__(self, form, dtype_name):
        self.form, self.dtype = form, numpy.dtype(dtype_name)

    def __call__(self, *arguments):
        form, xp = self.form, backend.xp
        has_grad = len(form.kept) > 1 and form.kept[1]
        grad, (table, starts, stops, n_segments) = (arguments[0], arguments[1:5]) if has_grad \
            else (None, arguments[0:4])
        outputs = arguments[5 if has_grad else 4:]
        shape = outputs[0].shape
        element = xp.arange(outputs[0].size).reshape(shape)
        segment = xp.searchsorted(stops, element, side="right")  # the first stop > element
        clipped = xp.minimum(segment, int(n_segments) - 1)
        inside = (segment < int(n_segments)) & (starts[clipped] <= element)
        env = {}
        out_names = [name for j, name in enumerate(form.arrays) if form.kept[j] and j != 1]
        env.update(zip(out_names, outputs))
        if has_grad:
            env[form.arrays[1]] = grad
        row = clipped * len(form.scalars)  # the table is flat, one row of scalars per segment
        for n, (name, flag) in enumerate(zip(form.scalars, form.flags)):
            column = table[row + n]
            env[name] = column != 0 if flag else column
        with numpy.errstate(all="ignore"):  # where() evaluates both branches, as NumPy's rules do
            for name, value in form.assignments:
                env[name] = self._evaluate(value, env)
            results = [self._evaluate(value, env) for value in form.results]
        targets = [0, *range(2, len(form.arrays))]
        writes = [(env[form.arrays[j]], value) for j, value in zip(targets, results)
                  if form.kept[j]]
        for target, value in writes:  # all values are computed first: outputs are read above
            target[...] = xp.where(inside, value, target)

    def _evaluate(self, expr, env):
        xp, op, args = backend.xp, expr.op, expr.args
        if op == "name":
            return env[args[0]]
        if op == "const":
            return numpy.bool_(args[0]) if expr.kind == "bool" else self.dtype.type(args[0])
        values = [self._evaluate(arg, env) for arg in args]
        if op == "neg":
            return -values[0]
        if op == "not":
            return xp.logical_not(values[0])
        if op in _BINARY:
            return _BINARY[op](*values)
        if op == "and":
            return xp.logical_and(*values)
        if op == "or":
            return xp.logical_or(*values)
        if op == "**":
            return xp.power(*(self._as_float(v) for v in values))
        if op == "where":
            return xp.where(values[0] != 0, *(self._as_float(v) if expr.kind == "float" else v
                                              for v in values[1:]))
        return getattr(xp, op)(*(self._as_float(v) for v in values))

    def _as_float(self, value):
        """A bool operand used as a number, as C++ converts it (``T(x)``)."""
        dtype = getattr(value, "dtype", None)
        if dtype is not None and dtype.kind == "b":
            return value.astype(self.dtype)
        return value
