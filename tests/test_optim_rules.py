"""Update rules are executor-independent: only the allowed math, and the same numbers per element.

A later numba executor compiles each rule, rebound to scalar math, into a
loop over elements. These tests hold every rule to what that needs, without
numba: the rule calls nothing but ``elementwise_math.RULE_FUNCTIONS``, and a
pure-Python element-by-element executor reproduces the numpy executor.
"""
import numpy as np
import pytest

import tinyopt.optim as optim
from tinyopt.kernels import NumpyExecutor, elementwise_math, get_executor
from tinyopt.nn import Parameter
from tinyopt.optim import (adadelta, adafactor, adagrad, adam, adamax, asgd, lamb, lars, lion,
                           nadam, radam, rmsprop, rprop, sgd)

RULES = [sgd.sgd_rule, sgd.sgd_momentum_rule, adagrad.adagrad_rule, rmsprop.rmsprop_rule,
         adadelta.adadelta_rule, adam.adam_rule, adamax.adamax_rule, nadam.nadam_rule,
         radam.radam_rule, rprop.rprop_rule, asgd.asgd_rule, lion.lion_rule, lars.lars_rule,
         lamb.lamb_direction_rule, adafactor.adafactor_step_rule]

CONFIGURATIONS = [
    (optim.SGD, dict(lr=0.1)), (optim.SGD, dict(momentum=0.9, dampening=0.2, weight_decay=0.1)),
    (optim.SGD, dict(momentum=0.9, nesterov=True, maximize=True)),
    (optim.Adagrad, dict(lr_decay=0.1, weight_decay=0.1)),
    (optim.RMSprop, dict(centered=True, momentum=0.5)), (optim.RMSprop, {}),
    (optim.Adadelta, dict(weight_decay=0.1)),
    (optim.Adam, dict(amsgrad=True, weight_decay=0.1)), (optim.Adam, dict(bias_correction=False)),
    (optim.AdamW, dict(maximize=True)), (optim.Adamax, dict(weight_decay=0.1)),
    (optim.NAdam, dict(decoupled_weight_decay=True, weight_decay=0.1)),
    (optim.RAdam, dict(betas=(0.9, 0.9))), (optim.Rprop, dict(maximize=True)),
    (optim.ASGD, dict(t0=2, weight_decay=0.1)),
    (optim.Lion, dict(weight_decay=0.1, maximize=True)),
    (optim.LARS, dict(weight_decay=0.1, exclude_1d=False)), (optim.LARS, dict(nesterov=True)),
    (optim.LAMB, dict(weight_decay=0.1, trust_clip=2.0)),
    (optim.Adafactor, dict(beta1=0.9, weight_decay=0.1)),
    (optim.Adam8bit, dict(min_8bit_size=4, block_size=4)),
    (optim.Lion8bit, dict(min_8bit_size=4, block_size=4)),
]


class ElementLoopExecutor:
    """Each rule rebound to scalar math and called once per element: what numba will compile."""

    def run(self, rule, updates):
        scalar_rule = elementwise_math.rebind(rule, elementwise_math.SCALAR_FUNCTIONS)
        for arrays, scalars in updates:
            targets = [arrays[0], *arrays[2:]]
            for index in np.ndindex(arrays[0].shape):
                inputs = [0.0 if a is None else float(a[index]) for a in arrays]
                results = scalar_rule(*inputs, *scalars)
                results = results if isinstance(results, tuple) else (results,)
                for target, value in zip(targets, results):
                    if target is not None:
                        target[index] = value


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_rules_call_only_the_allowed_math(rule):
    called = set(rule.__code__.co_names)
    assert called <= set(elementwise_math.RULE_FUNCTIONS), called - set(
        elementwise_math.RULE_FUNCTIONS)


@pytest.mark.parametrize("optimizer_class, options", CONFIGURATIONS,
                         ids=lambda value: getattr(value, "__name__", None) or str(value))
def test_element_by_element_execution_matches_the_numpy_executor(optimizer_class, options):
    rng = np.random.default_rng(0)
    initial = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    grads = [[rng.standard_normal(x.shape) for x in initial] for _ in range(8)]
    results = []
    for executor in (NumpyExecutor(), ElementLoopExecutor()):
        params = [Parameter(x.copy()) for x in initial]
        optimizer = optimizer_class(params, **options)
        optimizer.executor = executor
        for step_grads in grads:
            for param, grad in zip(params, step_grads):
                param.grad = grad.copy()
            optimizer.step()
        results.append([p.array for p in params])
    for by_array, by_element in zip(*results):
        np.testing.assert_allclose(by_element, by_array, rtol=1e-14, atol=1e-300)


def test_scalar_functions_follow_numpy_on_edge_cases():
    scalar = elementwise_math.SCALAR_FUNCTIONS
    for x in (-2.0, -0.0, 0.0, 3.0, float("nan")):
        np.testing.assert_array_equal(scalar["sign"](x), np.sign(x))
        for y in (1.0, float("nan")):
            np.testing.assert_array_equal(scalar["maximum"](x, y), np.maximum(x, y))
            np.testing.assert_array_equal(scalar["minimum"](x, y), np.minimum(x, y))
    assert scalar["where"](True, 1.0, 2.0) == 1.0 and scalar["where"](False, 1.0, 2.0) == 2.0


def test_executor_writes_results_in_place_and_skips_absent_buffers():
    def halve_and_count(p, g, count, absent):
        return p - 0.5 * g, count + 1.0, absent + 1.0

    p, g, count = np.ones(3), np.full(3, 2.0), np.zeros(3)
    p_view = p[:]
    NumpyExecutor().run(halve_and_count, [([p, g, count, None], ())])
    np.testing.assert_array_equal(p_view, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(count, [1.0, 1.0, 1.0])


def test_get_executor_names_the_choices():
    assert isinstance(get_executor(), NumpyExecutor)
    with pytest.raises(ValueError, match="executor must be one of"):
        get_executor("fortran")
