"""Every optimizer, over a grid of its options, against torch.optim on identical inputs.

Both libraries get the same float64 parameters (several shapes, two param
groups with different learning rates) and the same gradient sequence (one
parameter sometimes has no gradient), run 100 steps with a state_dict save
and load into a fresh optimizer halfway, and must agree to 1e-10 relative in
the parameters and in every piece of state both keep.
"""
import itertools

import numpy as np
import pytest

import tinyopt.optim as optim
from tinyopt.nn import Parameter

torch = pytest.importorskip("torch")

SHAPES = [(5,), (3, 4), (), (2, 1, 3)]
STEPS = 100
RELOAD_AT = 50
RTOL, ATOL = 1e-10, 1e-12


def grid(**options):
    """Every combination of the listed option values, as dicts."""
    names = list(options)
    return [dict(zip(names, values)) for values in itertools.product(*options.values())]


CASES = {
    "SGD": [o for o in grid(momentum=[0, 0.9], dampening=[0, 0.3], nesterov=[False, True],
                            weight_decay=[0, 0.1], maximize=[False, True])
            if not o["nesterov"] or (o["momentum"] > 0 and o["dampening"] == 0)],
    "Adagrad": grid(lr_decay=[0, 0.05], weight_decay=[0, 0.1], initial_accumulator_value=[0, 0.5],
                    eps=[1e-10, 1e-3], maximize=[False, True]),
    "RMSprop": grid(alpha=[0.99, 0.8], momentum=[0, 0.9], centered=[False, True],
                    weight_decay=[0, 0.1], maximize=[False, True]),
    "Adadelta": grid(lr=[1.0, 0.3], rho=[0.9, 0.5], weight_decay=[0, 0.1], maximize=[False, True]),
    "Adam": grid(betas=[(0.9, 0.999), (0.5, 0.9)], amsgrad=[False, True], weight_decay=[0, 0.1],
                 decoupled_weight_decay=[False, True], maximize=[False, True]),
    "AdamW": grid(betas=[(0.9, 0.999), (0.0, 0.9)], amsgrad=[False, True],
                  weight_decay=[0, 1e-2, 0.5], maximize=[False, True]),
    "Adamax": grid(betas=[(0.9, 0.999), (0.5, 0.9)], eps=[1e-8, 1e-2], weight_decay=[0, 0.1],
                   maximize=[False, True]),
    "NAdam": grid(momentum_decay=[4e-3, 0.2], weight_decay=[0, 0.1],
                  decoupled_weight_decay=[False, True], maximize=[False, True]),
    "RAdam": grid(betas=[(0.9, 0.999), (0.8, 0.9)], weight_decay=[0, 0.1],
                  decoupled_weight_decay=[False, True], maximize=[False, True]),
    "Rprop": grid(etas=[(0.5, 1.2), (0.3, 1.7)], step_sizes=[(1e-6, 50), (1e-3, 0.05)],
                  maximize=[False, True]),
    "ASGD": grid(lambd=[1e-4, 0.05], alpha=[0.75, 1.5], t0=[1e6, 20], weight_decay=[0, 0.1],
                 maximize=[False, True]),
}
BASE_LR = {"SGD": 0.05, "Adagrad": 0.1, "RMSprop": 0.01, "Adadelta": 1.0, "Adam": 0.01,
           "AdamW": 0.01, "Adamax": 0.01, "NAdam": 0.01, "RAdam": 0.01, "Rprop": 0.01,
           "ASGD": 0.05}
PARAMS = [pytest.param(name, options, id=f"{name}-{i}")
          for name, grid_ in CASES.items() for i, options in enumerate(grid_)]


@pytest.fixture(autouse=True)
def torch_float64():
    """torch keeps per-parameter scalar state (step, NAdam's mu_product, ASGD's eta and mu)
    in the default dtype: float32 would cost ~1e-7 of agreement."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def make_data(seed):
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(shape) for shape in SHAPES]
    scales = [1.0, 0.1, 3.0, 0.01]
    grads = [[scale * rng.standard_normal(shape) for shape, scale in zip(SHAPES, scales)]
             for _ in range(STEPS)]
    for step in range(0, STEPS, 7):
        grads[step][3] = None  # parameters without a gradient are skipped
    return initial, grads


def groups(params, options, name):
    lr = options.get("lr", BASE_LR[name])
    return [{"params": params[:2]}, {"params": params[2:], "lr": lr / 2}], \
        {**options, "lr": lr}


def run_tinyopt(name, options, initial, grads, executor="numba"):
    params = [Parameter(value.copy()) for value in initial]
    param_groups, kwargs = groups(params, options, name)
    optimizer = getattr(optim, name)(param_groups, **kwargs)
    optimizer.executor = executor
    for step, step_grads in enumerate(grads):
        if step == RELOAD_AT:
            saved = optimizer.state_dict()
            optimizer = getattr(optim, name)(groups(params, options, name)[0], **kwargs)
            optimizer.executor = executor
            optimizer.load_state_dict(saved)
        for param, grad in zip(params, step_grads):
            param.grad = None if grad is None else grad.copy()
        optimizer.step()
    return [p.array for p in params], optimizer.state_dict()["state"]


def run_torch(name, options, initial, grads):
    params = [torch.tensor(value.copy(), requires_grad=True) for value in initial]
    param_groups, kwargs = groups(params, options, name)
    kwargs["foreach"] = False
    optimizer = getattr(torch.optim, name)(param_groups, **kwargs)
    for step, step_grads in enumerate(grads):
        if step == RELOAD_AT:
            saved = optimizer.state_dict()
            optimizer = getattr(torch.optim, name)(groups(params, options, name)[0], **kwargs)
            optimizer.load_state_dict(saved)
        for param, grad in zip(params, step_grads):
            param.grad = None if grad is None else torch.tensor(grad)
        optimizer.step()
    return [p.detach().numpy() for p in params], optimizer.state_dict()["state"]


@pytest.mark.parametrize("executor", ["numpy", "numba"])
@pytest.mark.parametrize("name, options", PARAMS)
def test_matches_torch(name, options, executor):
    initial, grads = make_data(seed=len(PARAMS))
    ours, our_state = run_tinyopt(name, options, initial, grads, executor)
    theirs, their_state = run_torch(name, options, initial, grads)
    for index, (mine, reference) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(mine, reference, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name}{options}: parameter {index}")
        assert not np.array_equal(mine, initial[index]), "the parameter never moved"
    assert sorted(our_state) == sorted(their_state)
    for index, entry in our_state.items():
        for key in set(entry) & set(their_state[index]):
            reference = their_state[index][key]
            reference = reference.numpy() if torch.is_tensor(reference) else reference
            np.testing.assert_allclose(entry[key], reference, rtol=RTOL, atol=ATOL,
                                       err_msg=f"{name}{options}: state {index}.{key}")


def test_state_keys_match_torch():
    """Same state names as torch, so students can read either library's checkpoints."""
    initial, grads = make_data(seed=1)
    for name, grid_ in CASES.items():
        for options in grid_[:1] + grid_[-1:]:
            _, ours = run_tinyopt(name, options, initial, grads[:3])
            _, theirs = run_torch(name, options, initial, grads[:3])
            for index in ours:
                assert set(ours[index]) == set(theirs[index]), (name, options)
