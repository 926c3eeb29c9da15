"""An update rule made ready for a per-element loop: scalar math, literals in the array's dtype.

A compiled loop calls the rule once per element, so the rule's math names
(``sqrt``, ``where``, ...) must be the scalar ones from
``elementwise_math.SCALAR_FUNCTIONS``: ``elementwise_math.rebind`` swaps them
in without touching the rule's code.

One more thing changes, its number literals. NumPy treats a Python number
in ``1 - beta1`` or ``0.0`` as "weak": a float32 array stays float32. A
compiler types ``1`` as int64 and ``0.0`` as float64, which would promote a
float32 loop to float64: several times slower (float64 division and square
root have half the SIMD lanes and longer latency) and no closer to the
NumPy reference. ``with_literals_in`` therefore re-creates a function with
its int and float constants converted to the loop's scalar type; the
bytecode is untouched, so the rule still reads exactly as written.
"""
import hashlib
import types

import numpy

from . import elementwise_math

_GENERATOR_VERSION = "1"
"""Bump when the loop source or this transformation changes, to invalidate disk caches."""


def with_literals_in(function, scalar_type):
    """A copy of ``function`` whose int and float literals are ``scalar_type`` values.

    ``with_literals_in(f, numpy.float32)`` turns ``1 - beta1`` into
    ``float32(1) - beta1``. Bools and other constants stay as they are.
    """
    def convert(constant):
        if isinstance(constant, (int, float)) and not isinstance(constant, bool):
            return scalar_type(constant)
        return constant

    code = function.__code__
    code = code.replace(co_consts=tuple(convert(c) for c in code.co_consts))
    return types.FunctionType(code, function.__globals__, function.__name__,
                              function.__defaults__, function.__closure__)


def scalar_rule(rule, dtype, jit):
    """``rule`` for one element of ``dtype`` at a time, each Python function wrapped in ``jit``.

    ``jit`` compiles a function for inlining (``numba.njit(inline="always")``);
    the identity gives the plain Python version, which is what runs under
    ``NUMBA_DISABLE_JIT=1``.
    """
    scalar_type = numpy.dtype(dtype).type
    functions = {}
    for name, function in elementwise_math.SCALAR_FUNCTIONS.items():
        if isinstance(function, types.FunctionType):  # our helpers; math.* and abs are built in
            function = jit(with_literals_in(function, scalar_type))
        functions[name] = function
    return jit(with_literals_in(elementwise_math.rebind(rule, functions), scalar_type))


def rule_fingerprint(rule):
    """A short hash of the rule's code and of the scalar helpers it may call.

    A compiled loop is cached on disk under a name holding this hash, so an
    edited rule (a student's experiment) gets a fresh compile instead of a
    stale cached kernel.
    """
    digest = hashlib.sha1(_GENERATOR_VERSION.encode())
    functions = [rule] + [f for f in elementwise_math.SCALAR_FUNCTIONS.values()
                          if isinstance(f, types.FunctionType)]
    for function in functions:
        code = function.__code__
        digest.update(code.co_code)
        digest.update(repr((code.co_consts, code.co_names, code.co_varnames)).encode())
    return digest.hexdigest()[:12]
