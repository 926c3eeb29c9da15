"""The math an update rule may call, bound to the array module in use.

An update rule (``sgd_rule``, ``adam_rule``, ...) is a plain function of
scalars-or-arrays. Besides ``+ - * / **``, comparisons and unary minus, a
rule may call only the functions named in ``RULE_FUNCTIONS``, imported by
name from this module::

    sqrt(x)  exp(x)  log(x)  abs(x)  sign(x)
    maximum(a, b)  minimum(a, b)  where(condition, a, b)

Here they dispatch to ``backend.xp`` (NumPy or CuPy), so the numpy executor
runs a rule on whole arrays at once. ``SCALAR_FUNCTIONS`` holds the same
functions for one Python float at a time, built on ``math``; ``rebind``
swaps them into a rule, which is what a per-element executor (numba compiles
the rebound rule into a loop) does. For that to work a rule must not call
anything else, read attributes, branch with ``if`` on a value (use
``where``), or modify its arguments: it returns new values instead.
"""
import builtins
import math
import types

from .. import backend

RULE_FUNCTIONS = ("sqrt", "exp", "log", "abs", "sign", "maximum", "minimum", "where")
"""The names a rule may call; tests check every rule against this list."""


def sqrt(x):
    """Elementwise square root."""
    return backend.xp.sqrt(x)


def exp(x):
    """Elementwise exponential."""
    return backend.xp.exp(x)


def log(x):
    """Elementwise natural logarithm."""
    return backend.xp.log(x)


def abs(x):  # noqa: A001 - the rule reads like the paper: abs(g)
    """Elementwise absolute value."""
    return backend.xp.abs(x)


def sign(x):
    """Elementwise sign: -1, 0 or +1."""
    return backend.xp.sign(x)


def maximum(a, b):
    """Elementwise maximum (NaN wins, as in NumPy)."""
    return backend.xp.maximum(a, b)


def minimum(a, b):
    """Elementwise minimum (NaN wins, as in NumPy)."""
    return backend.xp.minimum(a, b)


def where(condition, a, b):
    """``a`` where ``condition`` holds, else ``b`` (both are evaluated). A flag (a Python
    bool) is made an array first: ``cupy.where`` takes no other condition."""
    return backend.xp.where(backend.xp.asarray(condition), a, b)


def _scalar_sign(x):
    if x > 0:
        return 1.0
    if x < 0:
        return -1.0
    return x * 0.0  # keeps 0.0, -0.0 and NaN as NumPy does


def _scalar_maximum(a, b):
    return a if (a >= b or a != a) else b


def _scalar_minimum(a, b):
    return a if (a <= b or a != a) else b


def _scalar_where(condition, a, b):
    return a if condition else b


SCALAR_FUNCTIONS = {
    "sqrt": math.sqrt, "exp": math.exp, "log": math.log, "abs": builtins.abs,
    "sign": _scalar_sign, "maximum": _scalar_maximum, "minimum": _scalar_minimum,
    "where": _scalar_where,
}
"""The rule functions for single Python floats (what a per-element loop calls)."""


def rebind(rule, functions):
    """A copy of ``rule`` whose math names (``sqrt``, ``where``, ...) call ``functions``.

    ``rebind(adam_rule, SCALAR_FUNCTIONS)`` is Adam's update for one element
    at a time; the rule's own code is reused unchanged.
    """
    namespace = dict(rule.__globals__)
    namespace.update(functions)
    return types.FunctionType(rule.__code__, namespace, rule.__name__, rule.__defaults__,
                              rule.__closure__)
