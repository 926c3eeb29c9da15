"""LAMB, LARS, Adafactor, Lion, 8-bit: state dicts and state memory.

Checkpoints resume bit-identically (8-bit codes included), bad state dicts
are refused without changing anything, and ``state_bytes`` reports the
zoo's state memory exactly. (numba vs numpy for these optimizers is in
``test_kernels_numba.py``.)
"""
import pickle

import numpy as np
import pytest

import tinyopt.optim as optim
from tinyopt.kernels import get_executor
from tinyopt.nn import Parameter
from tinyopt.optim.state_memory import state_bytes, state_bytes_per_parameter

NEW = [optim.LAMB, optim.LARS, optim.Adafactor, optim.Lion, optim.Adam8bit, optim.AdamW8bit,
       optim.Lion8bit]


# ----------------------------------------------------------- state dicts
# Shapes with a matrix (factored by Adafactor, quantized by the 8-bit ones with these options).
RICH = {optim.LARS: dict(momentum=0.9, weight_decay=0.01, exclude_1d=False),
        optim.Adafactor: dict(beta1=0.9, weight_decay=0.01),
        optim.LAMB: dict(weight_decay=0.01, trust_clip=5.0)}
EIGHT_BIT = dict(min_8bit_size=8, block_size=4)
for _cls in (optim.Adam8bit, optim.AdamW8bit, optim.Lion8bit):
    RICH[_cls] = EIGHT_BIT


def params(*shapes):
    rng = np.random.default_rng(7)
    return [Parameter(rng.standard_normal(shape)) for shape in shapes]


def set_grads(parameters, seed):
    rng = np.random.default_rng(seed)
    for param in parameters:
        param.grad = rng.standard_normal(param.shape)


@pytest.mark.parametrize("optimizer_class", NEW, ids=lambda c: c.__name__)
def test_resuming_from_a_checkpoint_is_bit_identical(optimizer_class):
    options = RICH.get(optimizer_class, {})
    shapes = ((3, 5), (2, 2, 3), (4,), ())

    def make(parameters):
        optimizer = optimizer_class([{"params": parameters[:2]}, {"params": parameters[2:]}],
                                    **options)
        optimizer.executor = get_executor("numpy")  # numba is held to numpy in test_kernels_numba
        return optimizer

    def run(n_steps, parameters, optimizer, seed):
        for step in range(n_steps):
            set_grads(parameters, seed + step)
            optimizer.step()

    straight = params(*shapes)
    run(12, straight, make(straight), 0)
    first_half = params(*shapes)
    optimizer = make(first_half)
    run(6, first_half, optimizer, 0)
    checkpoint = pickle.loads(pickle.dumps(([p.array for p in first_half],
                                            optimizer.state_dict())))
    resumed = [Parameter(data) for data in checkpoint[0]]
    optimizer = make(resumed)
    optimizer.load_state_dict(checkpoint[1])
    run(6, resumed, optimizer, 6)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.array, b.array)
    if optimizer_class in (optim.Adam8bit, optim.AdamW8bit, optim.Lion8bit):
        assert optimizer.state[resumed[0]]["exp_avg"].dtype == np.uint8


def trained(optimizer_class, shapes=((3, 5), (4,)), **options):
    parameters = params(*shapes)
    optimizer = optimizer_class(parameters, **options)
    optimizer.executor = get_executor("numpy")
    set_grads(parameters, 0)
    optimizer.step()
    return optimizer


def with_group(state_dict, **changes):
    """``state_dict`` with its first param group's hyper-parameters changed."""
    first = {**state_dict["param_groups"][0], **changes}
    return {**state_dict, "param_groups": [first, *state_dict["param_groups"][1:]]}


@pytest.mark.parametrize("make_saved, message", [
    (lambda: with_group(trained(optim.Adam8bit, **EIGHT_BIT).state_dict(), block_size=5),
     r"'exp_avg_absmax' has shape \(4,\), Adam8bit expects \(3,\)"),
    (lambda: with_group(trained(optim.Adam8bit, **EIGHT_BIT).state_dict(), min_8bit_size=100),
     r"Adam8bit keeps \['exp_avg', 'exp_avg_sq', 'step'\]"),
    (lambda: trained(optim.Adam).state_dict(), "another optimizer"),
    (lambda: {**trained(optim.Adam8bit, **EIGHT_BIT).state_dict(), "state": {5: {}}},
     "parameter 5"),
    (lambda: with_group(trained(optim.Adam8bit, **EIGHT_BIT).state_dict(), block_size=0),
     "block_size must be >= 1"),
])
def test_failed_8bit_load_raises_and_changes_nothing(make_saved, message):
    optimizer = trained(optim.Adam8bit, **EIGHT_BIT)
    before = pickle.dumps(optimizer.state_dict())
    with pytest.raises(ValueError, match=message):
        optimizer.load_state_dict(make_saved())
    assert pickle.dumps(optimizer.state_dict()) == before


def test_8bit_codes_must_stay_codes():
    saved = trained(optim.Adam8bit, **EIGHT_BIT).state_dict()
    saved["state"][0]["exp_avg"] = saved["state"][0]["exp_avg"].astype(np.float64)
    optimizer = trained(optim.Adam8bit, **EIGHT_BIT)
    with pytest.raises(ValueError, match="'exp_avg' has dtype float64, Adam8bit expects uint8"):
        optimizer.load_state_dict(saved)


def test_adafactor_state_of_a_matrix_is_rows_plus_columns():
    optimizer = trained(optim.Adafactor, shapes=((3, 5), (2, 3, 4)))
    first, second = optimizer.param_groups[0]["params"]
    assert optimizer.state[first]["exp_avg_sq_row"].shape == (3,)
    assert optimizer.state[first]["exp_avg_sq_col"].shape == (5,)
    assert optimizer.state[second]["exp_avg_sq_row"].shape == (2, 3)
    assert optimizer.state[second]["exp_avg_sq_col"].shape == (2, 4)


# ------------------------------------------------------------ state bytes
def zoo():
    """(name, constructor) for every optimizer in tinyopt, with its state-heavy options."""
    return [
        ("SGD", lambda p: optim.SGD(p, lr=0.1)),
        ("SGD momentum", lambda p: optim.SGD(p, lr=0.1, momentum=0.9)),
        ("Adagrad", optim.Adagrad),
        ("RMSprop", optim.RMSprop),
        ("RMSprop centered", lambda p: optim.RMSprop(p, centered=True)),
        ("RMSprop momentum", lambda p: optim.RMSprop(p, momentum=0.9)),
        ("RMSprop centered+momentum", lambda p: optim.RMSprop(p, centered=True, momentum=0.9)),
        ("Adadelta", optim.Adadelta),
        ("Adam", optim.Adam),
        ("Adam amsgrad", lambda p: optim.Adam(p, amsgrad=True)),
        ("AdamW", optim.AdamW),
        ("Adamax", optim.Adamax),
        ("NAdam", optim.NAdam),
        ("RAdam", optim.RAdam),
        ("Rprop", optim.Rprop),
        ("ASGD", optim.ASGD),
        ("LAMB", optim.LAMB),
        ("LARS", optim.LARS),
        ("Adafactor", optim.Adafactor),
        ("Adafactor beta1", lambda p: optim.Adafactor(p, beta1=0.9)),
        ("Lion", optim.Lion),
        ("Adam8bit", optim.Adam8bit),
        ("Adam8bit block 2048", lambda p: optim.Adam8bit(p, block_size=2048)),
        ("AdamW8bit", optim.AdamW8bit),
        ("Lion8bit", optim.Lion8bit),
    ]


EXPECTED_BYTES_PER_PARAMETER = {  # float32 1024 x 1024 weight, after one step
    "SGD": 0, "SGD momentum": 4, "Adagrad": 4, "RMSprop": 4, "RMSprop centered": 8,
    "RMSprop momentum": 8, "RMSprop centered+momentum": 12,
    "Adadelta": 8, "Adam": 8, "Adam amsgrad": 12, "AdamW": 8, "Adamax": 8, "NAdam": 8,
    "RAdam": 8, "Rprop": 8, "ASGD": 4, "LAMB": 8, "LARS": 4, "Adafactor": 2 * 1024 * 4 / 1024 ** 2,
    "Adafactor beta1": 4 + 2 * 1024 * 4 / 1024 ** 2, "Lion": 4,
    "Adam8bit": 2 + 2 * 4 / 256, "Adam8bit block 2048": 2 + 2 * 4 / 2048, "AdamW8bit": 2 + 2 * 4 / 256, "Lion8bit": 1 + 4 / 256,
}


def test_state_bytes_per_parameter_of_the_whole_zoo():
    weight = Parameter(np.zeros((1024, 1024), dtype=np.float32))
    weight.grad = np.full(weight.shape, 1e-3, dtype=np.float32)
    table = {}
    for name, make in zoo():
        optimizer = make([weight])
        optimizer.executor = get_executor("numpy")              # bytes do not depend on it
        assert optimizer.state_bytes() == 0                     # state is born on the first step
        optimizer.step()
        assert optimizer.state_bytes() == state_bytes(optimizer)
        table[name] = state_bytes_per_parameter(optimizer)
    assert table == pytest.approx(EXPECTED_BYTES_PER_PARAMETER, rel=1e-12)


def test_adafactor_state_for_a_1024_square_weight_is_two_vectors():
    weight = Parameter(np.zeros((1024, 1024), dtype=np.float32))
    weight.grad = np.ones(weight.shape, dtype=np.float32)
    optimizer = optim.Adafactor([weight])
    optimizer.executor = get_executor("numpy")
    optimizer.step()
    assert optimizer.state_bytes() == 2 * 1024 * 4 == state_bytes(optimizer)

