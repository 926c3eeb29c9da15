"""Flat buffers: a group's arrays are views into one buffer, and nothing assigned is lost."""
import numpy as np
import pytest

import tinyopt.optim as optim
from tinyopt.nn import Parameter
from tinyopt.optim.flat_buffers import FlatGroup


def make_params(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [Parameter(rng.standard_normal(shape).astype(dtype)) for shape in [(3, 4), (5,), ()]]


def set_grads(params, seed):
    rng = np.random.default_rng(seed)
    for param in params:
        param.grad = rng.standard_normal(param.shape).astype(param.dtype)


def stepped(optimizer_class=optim.AdamW, executor="numba", steps=3, **options):
    params = make_params()
    optimizer = optimizer_class(params, **options)
    optimizer.executor = executor
    for step in range(steps):
        set_grads(params, step)
        optimizer.step()
    return params, optimizer


def flat_group(optimizer, number=0):
    return optimizer._flat_groups[number]


def test_params_grads_and_state_are_views_into_one_buffer_each():
    params, optimizer = stepped()
    flat = flat_group(optimizer)
    for param in params:
        assert np.shares_memory(param.data, flat.data)
        assert np.shares_memory(param.grad, flat.grad)
        assert np.shares_memory(optimizer.state[param]["exp_avg"], flat.state["exp_avg"][0])
        assert param.data.shape == param.shape and param.data.flags.c_contiguous


def test_in_place_changes_reach_the_buffer():
    params, optimizer = stepped()
    params[0].data *= 0.0
    params[0].grad[...] = 0.0
    optimizer.zero_grad(set_to_none=False)
    assert params[1].grad is flat_group(optimizer).grad_views[1]  # zeroed in place
    optimizer.step()
    np.testing.assert_array_equal(flat_group(optimizer).data[:12], params[0].data.ravel())


@pytest.mark.parametrize("executor", ["numpy", "numba"])
def test_rebinding_data_or_grad_loses_nothing(executor):
    params, optimizer = stepped(executor="numba", steps=1)
    optimizer.executor = executor
    new_value = params[0].data * 2.0
    params[0].data = new_value  # a new array, same shape: copied into the buffer
    set_grads(params, 1)  # fresh gradient arrays, as backward after zero_grad() makes
    optimizer.step()
    ref_params = make_params()
    ref_optimizer = optim.AdamW(ref_params)
    ref_optimizer.executor = "numpy"
    set_grads(ref_params, 0)
    ref_optimizer.step()
    ref_params[0].data = ref_params[0].data * 2.0
    set_grads(ref_params, 1)
    ref_optimizer.step()
    for mine, theirs in zip(params, ref_params):
        np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-13)
    if executor == "numba":
        assert np.shares_memory(params[0].data, flat_group(optimizer).data)


def test_rebinding_data_to_another_shape_repacks_the_group():
    params, optimizer = stepped(optim.SGD, lr=0.1)
    old = flat_group(optimizer)
    params[1].data = np.ones(8)
    optimizer.state[params[1]] = {}
    set_grads(params, 5)
    optimizer.step()
    new = flat_group(optimizer)
    assert new is not old and new.data.size == 12 + 8 + 1
    np.testing.assert_allclose(params[1].data, 1.0 - 0.1 * params[1].grad)


@pytest.mark.parametrize("new_dtype", [np.float64, np.float32], ids=["same dtype", "new dtype"])
def test_data_rebound_while_its_parameter_has_no_gradient_is_kept(new_dtype):
    params, optimizer = stepped(optim.SGD, lr=0.1)
    params[1].data = np.full(5, 7.0, dtype=new_dtype)  # no gradient for it this step
    set_grads(params, 3)
    params[1].grad = None
    optimizer.step()
    np.testing.assert_array_equal(params[1].data, 7.0)
    set_grads(params, 4)
    expected = 7.0 - 0.1 * params[1].grad
    optimizer.step()
    assert params[1].data.dtype == new_dtype
    np.testing.assert_allclose(params[1].data, expected, rtol=1e-6)
    if new_dtype is np.float64:
        assert np.shares_memory(params[1].data, flat_group(optimizer).data)
    else:
        assert 0 not in optimizer._flat_groups  # mixed dtypes: the group runs unpacked


def test_state_dict_round_trip_is_exact_and_shaped_like_the_parameters():
    params, optimizer = stepped(optim.Adam, amsgrad=True)
    saved = optimizer.state_dict()
    for index, param in enumerate(params):
        assert saved["state"][index]["exp_avg"].shape == param.shape
        assert not np.shares_memory(saved["state"][index]["exp_avg"], flat_group(optimizer).data)
    fresh = optim.Adam(params, amsgrad=True)
    fresh.load_state_dict(saved)
    again = fresh.state_dict()
    for index, entry in saved["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(again["state"][index][key], value)


@pytest.mark.parametrize("optimizer_class", [optim.AdamW, optim.SGD, optim.NAdam, optim.ASGD])
def test_resume_from_a_checkpoint_is_bit_identical(optimizer_class):
    options = dict(momentum=0.9) if optimizer_class is optim.SGD else {}
    straight, _ = stepped(optimizer_class, steps=6, **options)
    params, optimizer = stepped(optimizer_class, steps=3, **options)
    saved = optimizer.state_dict()
    resumed = [Parameter(p.data.copy()) for p in params]
    optimizer = optimizer_class(resumed, **options)
    optimizer.load_state_dict(saved)
    for step in range(3, 6):
        set_grads(resumed, step)
        optimizer.step()
    for mine, theirs in zip(resumed, straight):
        np.testing.assert_array_equal(mine.data, theirs.data)


def test_parameters_with_different_step_counts_get_their_own_scalars():
    params = make_params()
    optimizer = optim.Adam(params, lr=0.1)
    reference = make_params()
    ref_optimizer = optim.Adam(reference, lr=0.1)
    ref_optimizer.executor = "numpy"
    for step in range(4):
        for group in (params, reference):
            set_grads(group, step)
            if step % 2:
                group[1].grad = None  # parameter 1 falls behind in steps
        optimizer.step()
        ref_optimizer.step()
    assert optimizer.state[params[1]]["step"] == 2 and optimizer.state[params[0]]["step"] == 4
    for mine, theirs in zip(params, reference):
        np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-13)


def test_groups_of_mixed_dtypes_or_one_parameter_are_not_packed():
    mixed = [Parameter(np.ones(2)), Parameter(np.ones(2, dtype=np.float32))]
    assert not FlatGroup.can_pack(mixed)
    assert not FlatGroup.can_pack(mixed[:1])
    assert FlatGroup.can_pack(make_params())
