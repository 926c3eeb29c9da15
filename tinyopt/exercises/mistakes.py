"""Known mistakes, injected into a reference optimizer: each a subclass differing in one thing.

The grader replays every mistake of an exercise on the fixed cases and names
those that reproduce the student's numbers. Three ways to inject one:

- ``altered_group(Ref, change)``: the step reads a hyper-parameter wrongly
  (``change(group)`` -> the wrong values, e.g. Lion's betas swapped);
- ``altered_scalars(Ref, change)``: a per-step scalar is wrong (a bias
  correction with t off by one): ``change(scalars, group, state)``;
- ``altered_rule(Ref, wrong_rule)``: the elementwise math itself is wrong
  (ε inside the root); ``wrong_rule(rule)`` returns the mistaken rule.
"""
from ..kernels.elementwise_math import sqrt
from .exercise import Mistake


def altered_group(reference, change):
    """``reference`` whose step sees ``{**group, **change(group)}``."""
    class Mistaken(reference):
        def _prepare_update(self, param, group, state):
            return super()._prepare_update(param, {**group, **change(group)}, state)
    return Mistaken


def altered_scalars(reference, change):
    """``reference`` whose rule gets ``change(scalars, group, state)`` instead of its scalars."""
    class Mistaken(reference):
        def _prepare_update(self, param, group, state):
            rule, arrays, scalars = super()._prepare_update(param, group, state)
            return rule, arrays, tuple(change(tuple(scalars), group, state))
    return Mistaken


def altered_rule(reference, wrong_rule):
    """``reference`` running ``wrong_rule(rule)`` instead of its own rule."""
    class Mistaken(reference):
        def _prepare_update(self, param, group, state):
            rule, arrays, scalars = super()._prepare_update(param, group, state)
            return wrong_rule(rule), arrays, scalars
    return Mistaken


def replaced(scalars, index, value):
    """``scalars`` with entry ``index`` replaced by ``value``."""
    return scalars[:index] + (value,) + scalars[index + 1:]


def with_group_options(reference, **options):
    """A factory: ``reference`` with ``options`` set in every param group (for an option
    read outside ``_prepare_update``, as LAMB's ``layer_adaptation``)."""
    def factory(groups, **kwargs):
        return reference([{**group, **options} for group in groups], **kwargs)
    factory.__name__ = reference.__name__
    return factory


def with_defaults(reference, **fixed):
    """A factory: ``reference(groups, **kwargs)`` with ``fixed`` arguments (Adam v0 = Adam
    without bias correction)."""
    def factory(groups, **kwargs):
        return reference(groups, **{**kwargs, **fixed})
    factory.__name__ = reference.__name__
    return factory


__all__ = ["Mistake", "altered_group", "altered_scalars", "altered_rule", "replaced",
           "with_defaults", "with_group_options", "sqrt"]
