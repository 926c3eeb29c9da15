"""The Optimizer contract: argument checks, groups, step/closure, zero_grad, state_dict."""
import copy
import pickle

import numpy as np
import pytest

import tinyopt
import tinyopt.optim as optim
from tinyopt.nn import Parameter

ALL = [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adadelta, optim.Adam, optim.AdamW,
       optim.Adamax, optim.NAdam, optim.RAdam, optim.Rprop, optim.ASGD]
# Non-default options so that every optional buffer exists.
RICH_OPTIONS = {optim.SGD: dict(momentum=0.9, dampening=0.1), optim.RMSprop: dict(
    momentum=0.5, centered=True), optim.Adam: dict(amsgrad=True), optim.AdamW: dict(amsgrad=True),
    optim.ASGD: dict(t0=3)}


def params(*shapes):
    rng = np.random.default_rng(sum(map(len, shapes)))
    return [Parameter(rng.standard_normal(shape)) for shape in shapes]


def set_grads(parameters, seed):
    rng = np.random.default_rng(seed)
    for param in parameters:
        param.grad = rng.standard_normal(param.shape)


def snapshot(optimizer):
    """Everything a failed call must leave alone, in comparable form."""
    return pickle.dumps(optimizer.state_dict())


# ------------------------------------------------------------- hyper-parameters
@pytest.mark.parametrize("optimizer_class, options, message", [
    (optim.SGD, dict(lr=-0.1), r"lr must be >= 0, got -0.1"),
    (optim.SGD, dict(lr=float("nan")), r"lr must be >= 0"),
    (optim.SGD, dict(momentum=-0.5), r"momentum must be >= 0"),
    (optim.SGD, dict(weight_decay=-1), r"weight_decay must be >= 0"),
    (optim.SGD, dict(nesterov=True), r"nesterov=True requires momentum > 0"),
    (optim.SGD, dict(momentum=0.9, dampening=0.1, nesterov=True), r"dampening = 0"),
    (optim.Adagrad, dict(lr_decay=-1), r"lr_decay must be >= 0"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), r"initial_accumulator_value must be"),
    (optim.Adagrad, dict(eps=-1e-10), r"eps must be >= 0"),
    (optim.RMSprop, dict(alpha=-0.9), r"alpha must be >= 0"),
    (optim.Adadelta, dict(rho=1.5), r"rho must be in \[0, 1\], got 1.5"),
    (optim.Adam, dict(betas=(1.0, 0.999)), r"betas\[0\] must be in \[0, 1\), got 1.0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), r"betas\[1\] must be in \[0, 1\)"),
    (optim.AdamW, dict(weight_decay=-0.01), r"weight_decay must be >= 0"),
    (optim.Adamax, dict(eps=-1), r"eps must be >= 0"),
    (optim.NAdam, dict(momentum_decay=-1), r"momentum_decay must be >= 0"),
    (optim.RAdam, dict(betas=(0.9, 1.0)), r"betas\[1\]"),
    (optim.Rprop, dict(etas=(1.5, 1.2)), r"etas\[0\] must be in \(0, 1\)"),
    (optim.Rprop, dict(etas=(0.5, 0.9)), r"etas\[1\] must be > 1"),
    (optim.Rprop, dict(step_sizes=(1.0, 0.1)), r"step_sizes\[1\] must be >= 1.0"),
    (optim.ASGD, dict(lambd=-1), r"lambd must be >= 0"),
])
def test_bad_hyperparameters_raise_naming_the_argument(optimizer_class, options, message):
    with pytest.raises(ValueError, match=message):
        optimizer_class(params((2,)), **options)


def test_wrong_types_raise_type_errors():
    with pytest.raises(TypeError, match="lr must be a real number"):
        optim.SGD(params((2,)), lr="0.1")
    with pytest.raises(TypeError, match="betas must be a pair"):
        optim.Adam(params((2,)), betas=0.9)
    with pytest.raises(TypeError, match="amsgrad must be True or False"):
        optim.Adam(params((2,)), amsgrad="yes")


def test_group_hyperparameters_are_checked_too():
    p, q = params((2,), (3,))
    with pytest.raises(ValueError, match="lr must be >= 0"):
        optim.SGD([{"params": [p]}, {"params": [q], "lr": -1}], lr=0.1)
    optimizer = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="momentum"):
        optimizer.add_param_group({"params": [q], "momentum": -1})
    assert len(optimizer.param_groups) == 1


# ----------------------------------------------------------------- param groups
def test_groups_take_defaults_and_override_them():
    p, q = params((2,), (3,))
    optimizer = optim.Adam([{"params": [p]}, {"params": q, "lr": 0.5}], lr=0.01, amsgrad=True)
    first, second = optimizer.param_groups
    assert first["lr"] == 0.01 and second["lr"] == 0.5 and second["amsgrad"] is True
    assert second["params"] == [q] or second["params"][0] is q
    assert optimizer.defaults["lr"] == 0.01


@pytest.mark.parametrize("make", [
    lambda p, q: optim.SGD([p, q, p], lr=0.1),
    lambda p, q: optim.SGD([{"params": [p, q]}, {"params": [p]}], lr=0.1),
])
def test_duplicate_parameters_raise(make):
    p, q = params((2,), (3,))
    with pytest.raises(ValueError, match="more than one param group|appears twice"):
        make(p, q)


def test_add_param_group_with_a_known_parameter_changes_nothing():
    p, q = params((2,), (3,))
    optimizer = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="more than one param group"):
        optimizer.add_param_group({"params": [q, p]})
    assert [group["params"] for group in optimizer.param_groups] == [[p]]


def test_bad_params_arguments():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Parameters"):
        optim.SGD(params((2,))[0], lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        optim.SGD({params((2,))[0]}, lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.zeros(2)], lr=0.1)


# ------------------------------------------------------------------------- step
@pytest.mark.parametrize("optimizer_class", ALL)
def test_parameters_without_gradient_are_skipped(optimizer_class):
    p, q = params((2,), (3,))
    before = q.array.copy()
    optimizer = optimizer_class([p, q], **RICH_OPTIONS.get(optimizer_class, {}))
    p.grad = np.ones(2)
    optimizer.step()
    np.testing.assert_array_equal(q.array, before)
    assert not optimizer.state.get(q)
    assert not np.array_equal(p.array, params((2,), (3,))[0].array)


def test_step_with_closure_returns_its_loss_and_records_gradients_under_no_grad():
    x = Parameter(np.array([3.0]))
    optimizer = optim.SGD([x], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    with tinyopt.no_grad():
        loss = optimizer.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(x.array, [3.0 - 0.25 * 6.0])
    assert optimizer.step() is None


def test_zero_grad_to_none_or_to_zeros_in_place():
    p, q = params((2,), (3,))
    optimizer = optim.SGD([p, q], lr=0.1)
    set_grads([p, q], 0)
    grad = p.grad
    optimizer.zero_grad(set_to_none=False)
    assert p.grad is grad and np.all(grad == 0) and np.all(q.grad == 0)
    optimizer.zero_grad()
    assert p.grad is None and q.grad is None


def test_lr_written_into_param_groups_takes_effect():
    (p,) = params((2,))
    optimizer = optim.SGD([p], lr=0.1)
    before = p.array.copy()
    optimizer.param_groups[0]["lr"] = 0.5
    p.grad = np.ones(2)
    optimizer.step()
    np.testing.assert_allclose(p.array, before - 0.5)


# ------------------------------------------------------------------- state_dict
def test_state_dict_layout_is_pytorchs():
    p, q, r = params((2,), (3, 2), (4,))
    optimizer = optim.Adam([{"params": [p, q]}, {"params": [r], "lr": 0.1}])
    set_grads([p, r], 0)
    optimizer.step()
    saved = optimizer.state_dict()
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1], [2]]
    assert saved["param_groups"][1]["lr"] == 0.1 and saved["param_groups"][0]["betas"] == (
        0.9, 0.999)
    assert sorted(saved["state"]) == [0, 2]
    assert set(saved["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert saved["state"][0]["step"] == 1


def test_state_dict_is_a_deep_copy():
    (p,) = params((3,))
    optimizer = optim.Adam([p])
    p.grad = np.ones(3)
    optimizer.step()
    saved = optimizer.state_dict()
    frozen = copy.deepcopy(saved)
    optimizer.step()
    optimizer.param_groups[0]["lr"] = 5.0
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], frozen["state"][0]["exp_avg"])
    assert saved["param_groups"][0]["lr"] == frozen["param_groups"][0]["lr"]
    optimizer.load_state_dict(saved)
    saved["state"][0]["exp_avg"][...] = 123.0
    assert not np.any(optimizer.state[p]["exp_avg"] == 123.0)


@pytest.mark.parametrize("optimizer_class", ALL)
def test_resuming_from_a_checkpoint_is_bit_identical(optimizer_class):
    options = RICH_OPTIONS.get(optimizer_class, {})
    shapes = ((3, 2), (4,), ())

    def run(steps, model, optimizer, seed):
        for step in range(steps):
            set_grads(model, seed + step)
            optimizer.step()

    straight = params(*shapes)
    optimizer = optimizer_class([{"params": straight[:2]}, {"params": straight[2:], "lr": 0.02}],
                                **options)
    run(20, straight, optimizer, 0)

    first_half = params(*shapes)
    optimizer = optimizer_class([{"params": first_half[:2]}, {"params": first_half[2:],
                                                             "lr": 0.02}], **options)
    run(10, first_half, optimizer, 0)
    checkpoint = pickle.loads(pickle.dumps(
        ([p.array for p in first_half], optimizer.state_dict())))

    resumed = [Parameter(data) for data in checkpoint[0]]
    optimizer = optimizer_class([{"params": resumed[:2]}, {"params": resumed[2:]}], **options)
    optimizer.load_state_dict(checkpoint[1])
    assert optimizer.param_groups[1]["lr"] == 0.02
    run(10, resumed, optimizer, 10)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.array, b.array)


def trained(optimizer_class, shapes=((2,), (3,)), groups=None, **options):
    parameters = params(*shapes)
    optimizer = optimizer_class(groups(parameters) if groups else parameters, **options)
    set_grads(parameters, 0)
    optimizer.step()
    return optimizer


def with_group(state_dict, **changes):
    """``state_dict`` with its first param group's hyper-parameters changed."""
    first = {**state_dict["param_groups"][0], **changes}
    return {**state_dict, "param_groups": [first, *state_dict["param_groups"][1:]]}


@pytest.mark.parametrize("make_saved, message", [
    (lambda: trained(optim.SGD, momentum=0.9).state_dict(), "another optimizer"),
    (lambda: trained(optim.Adam).state_dict(), "decoupled_weight_decay=True"),
    (lambda: trained(optim.AdamW, groups=lambda ps: [{"params": [ps[0]]}, {"params": [ps[1]]}]
                     ).state_dict(), "2 parameter groups"),
    (lambda: trained(optim.AdamW, shapes=((2,), (3,), (1,))).state_dict(), "3 parameters"),
    (lambda: trained(optim.AdamW, shapes=((2,), (4,))).state_dict(), r"shape \(4,\)"),
    (lambda: with_group(trained(optim.AdamW, amsgrad=True).state_dict(), amsgrad=False),
     "max_exp_avg_sq"),
    (lambda: {"state": {}}, "'state' and 'param_groups'"),
    (lambda: {**trained(optim.AdamW).state_dict(), "state": {7: {}}}, "parameter 7"),
    (lambda: with_group(trained(optim.AdamW).state_dict(), lr=-1.0), "lr must be >= 0"),
])
def test_failed_load_raises_and_changes_nothing(make_saved, message):
    optimizer = trained(optim.AdamW, weight_decay=0.1)
    before = snapshot(optimizer)
    groups_before = [dict(group) for group in optimizer.param_groups]
    with pytest.raises(ValueError, match=message):
        optimizer.load_state_dict(make_saved())
    assert snapshot(optimizer) == before
    assert [dict(group) for group in optimizer.param_groups] == groups_before


def test_a_consistent_state_dict_brings_its_own_options():
    """As in PyTorch, loading replaces the hyper-parameters: AMSGrad state turns amsgrad on."""
    optimizer = trained(optim.AdamW)
    optimizer.load_state_dict(trained(optim.AdamW, amsgrad=True).state_dict())
    assert optimizer.param_groups[0]["amsgrad"] is True
    optimizer.step()


def test_load_casts_state_to_the_parameter_dtype():
    source = trained(optim.Adam, shapes=((2,),))
    target_param = Parameter(np.zeros(2, dtype=np.float32))
    target = optim.Adam([target_param])
    target.load_state_dict(source.state_dict())
    assert target.state[target_param]["exp_avg"].dtype == np.float32
