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
        assert np.shares_memory(param.array, flat.values)
        assert np.shares_memory(param.grad.array, flat.grads)
        assert np.shares_memory(optimizer.state[param]["exp_avg"], flat.state["exp_avg"][0])
        assert param.array.shape == param.shape and param.array.flags.c_contiguous


def test_in_place_changes_reach_the_buffer():
    params, optimizer = stepped()
    params[0].array *= 0.0
    params[0].grad[...] = 0.0
    optimizer.zero_grad(set_to_none=False)
    assert params[1].grad.array is flat_group(optimizer).grad_views[1]  # zeroed in place
    optimizer.step()
    np.testing.assert_array_equal(flat_group(optimizer).values[:12], params[0].array.ravel())


@pytest.mark.parametrize("executor", ["numpy", "numba"])
def test_rebinding_data_or_grad_loses_nothing(executor):
    params, optimizer = stepped(executor="numba", steps=1)
    optimizer.executor = executor
    new_value = params[0].array * 2.0
    params[0].array = new_value  # a new array, same shape: copied into the buffer
    set_grads(params, 1)  # fresh gradient arrays, as backward after zero_grad() makes
    optimizer.step()
    ref_params = make_params()
    ref_optimizer = optim.AdamW(ref_params)
    ref_optimizer.executor = "numpy"
    set_grads(ref_params, 0)
    ref_optimizer.step()
    ref_params[0].array = ref_params[0].array * 2.0
    set_grads(ref_params, 1)
    ref_optimizer.step()
    for mine, theirs in zip(params, ref_params):
        np.testing.assert_allclose(mine.array, theirs.array, rtol=1e-13)
    if executor == "numba":
        assert np.shares_memory(params[0].array, flat_group(optimizer).values)


def test_rebinding_data_to_another_shape_repacks_the_group():
    params, optimizer = stepped(optim.SGD, lr=0.1)
    old = flat_group(optimizer)
    params[1].array = np.ones(8)
    optimizer.state[params[1]] = {}
    set_grads(params, 5)
    optimizer.step()
    new = flat_group(optimizer)
    assert new is not old and new.values.size == 12 + 8 + 1
    np.testing.assert_allclose(params[1].array, 1.0 - 0.1 * params[1].grad)


@pytest.mark.parametrize("new_dtype", [np.float64, np.float32], ids=["same dtype", "new dtype"])
def test_data_rebound_while_its_parameter_has_no_gradient_is_kept(new_dtype):
    params, optimizer = stepped(optim.SGD, lr=0.1)
    params[1].array = np.full(5, 7.0, dtype=new_dtype)  # no gradient for it this step
    set_grads(params, 3)
    params[1].grad = None
    optimizer.step()
    np.testing.assert_array_equal(params[1].array, 7.0)
    set_grads(params, 4)
    expected = 7.0 - 0.1 * params[1].grad
    optimizer.step()
    assert params[1].array.dtype == new_dtype
    np.testing.assert_allclose(params[1].array, expected, rtol=1e-6)
    if new_dtype is np.float64:
        assert np.shares_memory(params[1].array, flat_group(optimizer).values)
    else:
        assert 0 not in optimizer._flat_groups  # mixed dtypes: the group runs unpacked


def test_state_dict_round_trip_is_exact_and_shaped_like_the_parameters():
    params, optimizer = stepped(optim.Adam, amsgrad=True)
    saved = optimizer.state_dict()
    for index, param in enumerate(params):
        assert saved["state"][index]["exp_avg"].shape == param.shape
        assert not np.shares_memory(saved["state"][index]["exp_avg"], flat_group(optimizer).values)
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
    resumed = [Parameter(p.array.copy()) for p in params]
    optimizer = optimizer_class(resumed, **options)
    optimizer.load_state_dict(saved)
    for step in range(3, 6):
        set_grads(resumed, step)
        optimizer.step()
    for mine, theirs in zip(resumed, straight):
        np.testing.assert_array_equal(mine.array, theirs.array)


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
        np.testing.assert_allclose(mine.array, theirs.array, rtol=1e-13)


def test_groups_of_mixed_dtypes_or_one_parameter_are_not_packed():
    mixed = [Parameter(np.ones(2)), Parameter(np.ones(2, dtype=np.float32))]
    assert not FlatGroup.can_pack(mixed)
    assert not FlatGroup.can_pack(mixed[:1])
    assert FlatGroup.can_pack(make_params())


# ---- cached per-step bookkeeping: each event between steps must be seen, as the numpy executor sees it

def _grad_to_none(params, optimizer):
    params[2].grad = None


def _data_rebound(params, optimizer):
    params[1].array = params[1].array * 0.5


def _lr_changed(params, optimizer):
    optimizer.param_groups[0]["lr"] = 0.05


def _group_added(params, optimizer):
    extra = [Parameter(np.linspace(-1.0, 1.0, 4)), Parameter(np.ones((2, 2)))]
    params.extend(extra)
    optimizer.add_param_group({"params": extra, "lr": 0.2})


def _state_loaded(params, optimizer):
    saved = optimizer.state_dict()
    saved["state"][0]["step"] = 1  # parameter 0 now counts other steps than the rest
    optimizer.load_state_dict(saved)


def _state_entry_assigned(params, optimizer):
    optimizer.state[params[3]]["exp_avg"] = np.full(params[3].shape, 0.25)


def _counter_assigned(params, optimizer):
    optimizer.state[params[4]]["step"] = 10


def many_params():
    rng = np.random.default_rng(1)
    return [Parameter(rng.standard_normal(shape)) for shape in [(3, 4), (5,), (), (2, 3), (0,), (7,)]]


@pytest.mark.parametrize("event", [_grad_to_none, _data_rebound, _lr_changed, _group_added,
                                   _state_loaded, _state_entry_assigned, _counter_assigned])
def test_cached_steps_see_every_change_between_steps(event):
    runs = {}
    for executor in ("numpy", "numba"):
        params = many_params()
        optimizer = optim.AdamW(params, lr=0.1, weight_decay=0.1)
        optimizer.executor = executor
        for step in range(6):
            if step == 3:
                event(params, optimizer)
            set_grads(params, step)
            if event is _grad_to_none and step in (3, 4):
                params[2].grad = None  # no gradient for two steps, then back
            optimizer.step()
        runs[executor] = (params, optimizer.state_dict())
    (numpy_params, numpy_saved), (numba_params, numba_saved) = runs["numpy"], runs["numba"]
    for mine, theirs in zip(numba_params, numpy_params):
        np.testing.assert_allclose(mine.array, theirs.array, rtol=1e-13, atol=1e-15)
    assert numba_saved["state"].keys() == numpy_saved["state"].keys()
    for index, entry in numpy_saved["state"].items():
        assert numba_saved["state"][index]["step"] == entry["step"]
        np.testing.assert_allclose(numba_saved["state"][index]["exp_avg"], entry["exp_avg"],
                                   rtol=1e-13, atol=1e-15)


def test_segments_are_cached_while_the_parameters_with_a_gradient_stay_the_same():
    params, optimizer = stepped(steps=2)
    flat = flat_group(optimizer)
    (cached,) = flat._segment_cache.values()
    set_grads(params, 7)
    optimizer.step()
    assert next(iter(flat._segment_cache.values())) is cached  # reused, not rebuilt
    params[1].grad = None
    optimizer.step()
    assert flat.with_grad == (0, 2)
    assert next(iter(flat._segment_cache.values()))[0] == (0, 2)  # rebuilt for the new set


def test_steps_without_a_gradient_leave_that_parameters_state_alone():
    params, optimizer = stepped(steps=2)
    before = optimizer.state[params[1]]["exp_avg"].copy()
    value = params[1].array.copy()
    set_grads(params, 3)
    params[1].grad = None
    optimizer.step()
    assert optimizer.state[params[1]]["step"] == 2 and optimizer.state[params[0]]["step"] == 3
    np.testing.assert_array_equal(optimizer.state[params[1]]["exp_avg"], before)
    np.testing.assert_array_equal(params[1].array, value)
