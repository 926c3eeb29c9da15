"""The reference executor: a rule applied to whole arrays, results written back in place.

This is the readable baseline every faster executor is tested against: one
call of the rule per parameter, NumPy (or CuPy) doing the elementwise work,
with the temporaries that implies.

A scalar may be a Python number or a 0-d array (a norm, a trust ratio): see
``scalar_table`` for how each executor takes it without a host read.
"""
from .scalar_table import rule_scalars, scalar_table


class NumpyExecutor:
    """Run an update rule on whole backend arrays, one parameter at a time.

    Each update is ``(arrays, scalars)`` with ``arrays = [param, grad,
    *state]``. The rule is called as ``rule(param, grad, *state, *scalars)``
    and returns the new ``param`` (or a tuple ``(param, *state)``), which is
    written back into the same arrays in place: views into flat buffers, and
    anyone holding a reference, see the update. A ``None`` state entry is an
    optional buffer the optimizer does not keep (e.g. AMSGrad's maximum when
    ``amsgrad=False``): the rule reads it as ``0.0`` and its result is dropped.
    A 0-d NumPy scalar reaches the rule as a Python number, a device one as it
    is (``scalar_table.rule_scalars``).
    """

    name = "numpy"

    def run(self, rule, updates):
        """Apply ``rule`` to every ``(arrays, scalars)`` update in ``updates``."""
        for arrays, scalars in updates:
            inputs = [0.0 if array is None else array for array in arrays]
            results = rule(*inputs, *rule_scalars(scalars))
            if not isinstance(results, tuple):
                results = (results,)
            targets = [arrays[0], *arrays[2:]]
            if len(results) != len(targets):
                raise ValueError(f"{rule.__name__} returned {len(results)} values for "
                                 f"{len(targets)} arrays (param and state)")
            for target, value in zip(targets, results):
                if target is not None:
                    target[...] = value


def compiled_updates(rule, updates, compilable):
    """What a compiled executor (numba, cupy) runs itself of ``updates``: for each update
    whose arrays ``compilable(arrays)`` accepts, ``(arrays, table, flags)`` with the scalars
    as a one-row ``table`` in the parameter's dtype (on the device when a scalar is,
    ``scalar_table``) and ``flags[n]`` saying whether scalar n is a bool. Empty parameters
    are skipped; the rest run here, on the reference executor."""
    for arrays, scalars in updates:
        param = arrays[0]
        if param.size == 0:
            continue
        if not compilable(arrays):
            NumpyExecutor().run(rule, [(arrays, scalars)])
            continue
        table = scalar_table([scalars], len(scalars), param.dtype)
        yield arrays, table, tuple(isinstance(scalar, bool) for scalar in scalars)
