"""nn.Module traversal, buffers and loading, held to PyTorch's behaviour.

named_modules / modules / named_children / apply visit the same modules in
the same order under the same names as torch (nested, shared and absent
children); register_buffer with persistent=True/False (state_dict, buffers,
reassignment, bad names and values); BatchNorm's statistics as buffers; and
load_state_dict checking every key, shape and dtype before writing anything.
"""
import numpy as np
import pytest

import tinyopt
from tinyopt import nn


def build(lib):
    """The same shape of model in tinyopt or torch: nesting, a shared module, a None child."""
    shared = lib.nn.Linear(2, 2)
    inner = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Tanh(), shared)
    model = lib.nn.Sequential(inner, shared, lib.nn.Sequential(shared, lib.nn.ReLU()))
    model.add_module("absent", None)
    return model


def visit_names(model):
    """The ``named_modules`` names of the modules ``apply`` visits, in its order."""
    names = {id(m): n for n, m in model.named_modules(remove_duplicate=False)}
    order = []
    model.apply(lambda m: order.append(names[id(m)]))
    return order


def test_traversal_order_and_names_match_torch():
    torch = pytest.importorskip("torch")
    tiny, ref = build(tinyopt), build(torch)
    for kwargs in ({}, {"remove_duplicate": False}, {"prefix": "net"}):
        assert [n for n, _ in tiny.named_modules(**kwargs)] == \
            [n for n, _ in ref.named_modules(**kwargs)], kwargs
    assert [type(m).__name__ for m in tiny.modules()] == \
        [type(m).__name__ for m in ref.modules()]
    assert [n for n, _ in tiny.named_children()] == [n for n, _ in ref.named_children()]
    assert visit_names(tiny) == visit_names(ref)
    assert [n for n, _ in tiny.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert list(tiny.state_dict()) == list(ref.state_dict())


def test_apply_is_post_order_and_visits_a_shared_child_under_each_parent():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(nn.Sequential(nn.Linear(2, 2), shared), shared, shared)
    seen = []
    assert model.apply(seen.append) is model
    # the first Sequential's subtree, the shared layer once more as child "1" ("2" is the
    # same module, so children() gives it once), then the model itself
    assert seen == [model[0][0], shared, model[0], shared, model]


def test_apply_initialises_as_in_the_course():
    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)
            m.bias.array.fill(0.01)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).apply(init_weights)
    for layer in (model[0], model[2]):
        assert np.all(layer.weight.array == 0) and np.allclose(layer.bias.array, 0.01)


class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 2)
        self.register_buffer("mean", tinyopt.tensor(np.zeros(2)))
        self.register_buffer("cache", tinyopt.tensor(np.ones(3)), persistent=False)
        self.register_buffer("nothing", None)


def test_buffers_persistent_and_not():
    model = WithBuffers()
    assert [n for n, _ in model.named_buffers()] == ["mean", "cache"]
    assert len(list(model.buffers())) == 2 and list(model.parameters())[0] is model.linear.weight
    assert list(model.state_dict()) == ["mean", "linear.weight", "linear.bias"]
    model.cache = tinyopt.tensor(np.full(3, 5.0))  # reassignment keeps it non-persistent
    assert "cache" not in model.state_dict() and model.cache.array[0] == 5.0
    model.mean = np.full(2, 2.0)  # an array is wrapped, as register_buffer does
    assert isinstance(model.mean, tinyopt.Tensor)
    np.testing.assert_array_equal(model.state_dict()["mean"], [2.0, 2.0])
    model.nothing = tinyopt.tensor(np.zeros(1))  # an absent buffer filled in later
    assert list(model.state_dict())[:2] == ["mean", "nothing"]
    del model.cache
    assert [n for n, _ in model.named_buffers()] == ["mean", "nothing"]
    fresh = WithBuffers()
    fresh.nothing = tinyopt.tensor(np.zeros(1))
    assert fresh.load_state_dict(model.state_dict()) == ([], [])
    np.testing.assert_array_equal(fresh.mean.array, [2.0, 2.0])


def test_buffers_match_torch_state_dict_keys():
    torch = pytest.importorskip("torch")

    class Ref(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(2, 2)
            self.register_buffer("mean", torch.zeros(2))
            self.register_buffer("cache", torch.ones(3), persistent=False)
            self.register_buffer("nothing", None)
    tiny, ref = WithBuffers(), Ref()
    assert list(tiny.state_dict()) == list(ref.state_dict())
    assert [n for n, _ in tiny.named_buffers()] == [n for n, _ in ref.named_buffers()]
    for track in (True, False):
        tiny_bn, ref_bn = nn.BatchNorm2d(3, track_running_stats=track), \
            torch.nn.BatchNorm2d(3, track_running_stats=track)
        assert [n for n, _ in tiny_bn.named_buffers()] == [n for n, _ in ref_bn.named_buffers()]
        assert list(tiny_bn.state_dict()) == list(ref_bn.state_dict())
        assert [n for n, _ in tiny_bn.named_parameters()] == ["weight", "bias"]


@pytest.mark.parametrize("name, value, error, words", [
    ("a.b", None, KeyError, ["'.'"]),
    ("", None, KeyError, ["non-empty"]),
    (3, None, KeyError, ["3"]),
    ("linear", None, KeyError, ["'linear'", "exists"]),
    ("forward", None, KeyError, ["'forward'", "exists"]),
    ("fresh", [1.0, 2.0], TypeError, ["list", "'fresh'", "Tensor"]),
])
def test_register_buffer_refuses_bad_names_and_values(name, value, error, words):
    model = WithBuffers()
    before = list(model.state_dict())
    with pytest.raises(error) as raised:
        model.register_buffer(name, value)
    for word in words:
        assert word in str(raised.value)
    assert list(model.state_dict()) == before
    with pytest.raises(TypeError, match="'mean'"):
        model.mean = "text"


def test_batch_norm_statistics_are_buffers_not_parameters():
    norm = nn.BatchNorm1d(4)
    assert [n for n, _ in norm.named_buffers()] == ["running_mean", "running_var",
                                                    "num_batches_tracked"]
    assert all(not b.requires_grad for b in norm.buffers())
    untracked = nn.BatchNorm1d(4, track_running_stats=False)
    assert list(untracked.buffers()) == [] and untracked.running_mean is None
    assert list(untracked.state_dict()) == ["weight", "bias"]


# ------------------------------------------------------------ loading
def model_and_state():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1))
    return model, {k: v + 1 for k, v in model.state_dict().items()}


@pytest.mark.parametrize("key, value, words", [
    ("2.bias", np.array(["a"]), ["2.bias", "dtype", "<U1", "float"]),
    ("2.weight", np.array([[1 + 2j, 0, 0]]), ["2.weight", "complex128"]),
    ("1.num_batches_tracked", np.array(1.5), ["num_batches_tracked", "float64", "int64"]),
    ("2.bias", np.array([object()]), ["2.bias", "object"]),
    ("2.bias", [[1.0], [2.0, 3.0]], ["2.bias", "list"]),
    ("2.bias", [1.0, 2.0], ["2.bias", "(2,)", "(1,)"]),
])
def test_a_failed_load_changes_nothing(key, value, words):
    """The bad entry sorts last, so a load that wrote as it checked would change the rest."""
    model, state = model_and_state()
    before = model.state_dict()
    state[key] = value
    for strict in (True, False):
        with pytest.raises(ValueError) as raised:
            model.load_state_dict(state, strict=strict)
        for word in words:
            assert word in str(raised.value)
        for name, array in model.state_dict().items():
            np.testing.assert_array_equal(array, before[name], err_msg=name)


def test_loads_castable_values_and_reports_keys_as_torch():
    model, state = model_and_state()
    state["0.bias"] = np.array([1, 2, 3])  # integers into a float parameter
    state["2.bias"] = tinyopt.tensor(np.array([0.5], dtype=np.float32))
    state["0.weight"] = state["0.weight"].tolist()  # nested lists convert
    result = model.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(model[0].bias.array, [1.0, 2.0, 3.0])
    del state["2.bias"]
    state["extra"] = np.zeros(1)
    result = model.load_state_dict(state, strict=False)
    assert result == (["2.bias"], ["extra"])
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["extra"]
