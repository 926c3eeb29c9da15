"""nn.Module machinery: registration, traversal, modes, state_dict, containers, repr.

Parameter and module names as in PyTorch (nested lists, buffers, absent
biases, tied weights counted once), attribute registration rules, copies,
train/eval propagation, zero_grad and freezing, state_dict order, copies and
round trips with strict/non-strict loading, Sequential and ModuleList, and
torch-style reprs. No PyTorch needed.
"""
from collections import OrderedDict

import numpy as np
import pytest

import tinyopt
from tinyopt import nn

from nn_helpers import seeded  # noqa: F401  (autouse fixture)


def mlp():
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))


class Net(nn.Module):
    """A model with a nested list, a buffer, an absent bias and a tied weight."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(5, 3)
        self.layers = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 3, bias=False)])
        self.norm = nn.BatchNorm1d(3)
        self.head = nn.Linear(3, 5)
        self.head.weight = self.embed.weight  # tied, as in a language model
        self.register_buffer("steps", tinyopt.tensor(np.zeros(())))

    def forward(self, indices):
        x = self.embed(indices)
        for layer in self.layers:
            x = layer(x).tanh()
        return self.head(self.norm(x))


# ------------------------------------------------------------- traversal
def test_parameter_names_follow_torch():
    assert [n for n, _ in mlp().named_parameters()] == \
        ["0.weight", "0.bias", "2.weight", "2.bias"]
    names = [n for n, _ in Net().named_parameters()]
    assert names == ["embed.weight", "layers.0.weight", "layers.0.bias", "layers.1.weight",
                     "norm.weight", "norm.bias", "head.bias"]  # head.weight is embed.weight
    assert [n for n, _ in Net().named_parameters(prefix="net")][0] == "net.embed.weight"


def test_shared_parameters_and_modules_are_counted_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.Tanh(), layer)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    assert len(list(Net().parameters())) == 7
    # gradients from both uses accumulate into the one parameter
    x = tinyopt.tensor(np.ones((1, 2)))
    model(x).sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.shape == (2, 2)


def test_children_and_modules():
    model = Net()
    assert [n for n, _ in model.named_children()] == ["embed", "layers", "norm", "head"]
    assert list(model.children())[1] is model.layers
    names = [n for n, _ in model.named_modules()]
    assert names == ["", "embed", "layers", "layers.0", "layers.1", "norm", "head"]
    assert sum(1 for _ in model.modules()) == 7
    assert [n for n, _ in model.named_buffers()] == [
        "steps", "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]
    assert len(list(model.buffers())) == 4


def test_attributes_register_and_reassign():
    model = nn.Linear(2, 3, bias=False)
    assert model.bias is None and [n for n, _ in model.named_parameters()] == ["weight"]
    model.bias = nn.Parameter(np.zeros(3))  # a plain None attribute must not shadow it
    assert isinstance(model.bias, nn.Parameter)
    assert [n for n, _ in model.named_parameters()] == ["weight", "bias"]
    model.bias = None
    assert model.bias is None and [n for n, _ in model.named_parameters()] == ["weight"]
    model.extra = nn.Tanh()
    assert list(model.children()) == [model.extra]
    del model.extra
    assert list(model.children()) == []
    with pytest.raises(AttributeError, match="nothing"):
        model.nothing  # noqa: B018
    plain = nn.Module()
    plain.register_parameter("w", nn.Parameter(np.ones(2)))
    plain.add_module("sub", nn.Linear(2, 2))
    assert [n for n, _ in plain.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    with pytest.raises(TypeError, match="w2"):
        plain.register_parameter("w2", np.ones(2))
    with pytest.raises(KeyError):
        plain.add_module("a.b", nn.Tanh())


def test_assigning_a_plain_tensor_to_a_parameter_is_refused():
    layer = nn.Linear(2, 2)
    weight = layer.weight
    with pytest.raises(TypeError, match="'weight'.*Parameter or None"):
        layer.weight = layer.weight * 2.0  # would silently stop training it
    assert layer.weight is weight and len(list(layer.parameters())) == 2
    model = mlp()
    with pytest.raises(TypeError, match="module '0'"):
        setattr(model, "0", 3)


def test_deepcopy_and_pickle_give_independent_equal_models():
    import copy
    import pickle
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1)).eval()
    x = tinyopt.tensor(np.random.default_rng(0).normal(size=(4, 2)))
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert clone[0].weight is not model[0].weight
        assert [n for n, _ in clone.named_parameters()] == \
            [n for n, _ in model.named_parameters()]
        np.testing.assert_array_equal(clone(x).array, model(x).array)
        clone[0].weight.array += 1
        assert not np.array_equal(clone(x).array, model(x).array)


def test_assigning_before_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)
    with pytest.raises(AttributeError, match="Module.__init__"):
        Broken()


def test_plain_list_of_layers_is_not_registered_but_module_list_is():
    class Holder(nn.Module):
        def __init__(self, wrap):
            super().__init__()
            layers = [nn.Linear(2, 2), nn.Linear(2, 2)]
            self.layers = nn.ModuleList(layers) if wrap else layers
    assert len(list(Holder(False).parameters())) == 0
    assert len(list(Holder(True).parameters())) == 4


# ------------------------------------------------------------------ modes
def test_train_eval_propagates():
    model = Net()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.layers.train()
    assert model.layers[1].training and not model.training and not model.norm.training
    model.train()
    assert all(m.training for m in model.modules())


def test_dropout_and_batch_norm_follow_the_mode():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.BatchNorm1d(4))
    x = tinyopt.tensor(np.random.default_rng(0).normal(size=(8, 4)))
    model.eval()
    first, second = model(x).array, model(x).array
    np.testing.assert_array_equal(first, second)  # deterministic, running stats untouched
    assert model[2].num_batches_tracked.array == 0
    model.train()
    assert not np.array_equal(model(x).array, model(x).array)
    assert model[2].num_batches_tracked.array == 2


def test_zero_grad_both_ways():
    model = mlp()
    model(tinyopt.tensor(np.ones((3, 2)))).sum().backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and np.any(g != 0) for g in grads[:1])
    model.zero_grad(set_to_none=False)
    for param, before in zip(model.parameters(), grads):
        assert param.grad is before and np.all(param.grad == 0)  # same array, zeroed
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_requires_grad_freezes_a_layer():
    model = mlp()
    model[0].requires_grad_(False)
    model(tinyopt.tensor(np.ones((3, 2)))).sum().backward()
    assert model[0].weight.grad is None and model[0].bias.grad is None
    assert model[2].weight.grad is not None
    assert model.requires_grad_() is model and model[0].weight.requires_grad


def test_gradients_accumulate_across_backward_calls():
    model = mlp()
    x = tinyopt.tensor(np.ones((3, 2)))
    model(x).sum().backward()
    once = [p.grad.array.copy() for p in model.parameters()]
    model(x).sum().backward()
    for param, g in zip(model.parameters(), once):
        np.testing.assert_allclose(param.grad, 2 * g)


# ------------------------------------------------------------- state dict
def test_state_dict_keys_order_and_copies():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2), nn.Linear(2, 1))
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                           "1.running_var", "1.num_batches_tracked", "2.weight", "2.bias"]
    state["0.weight"][...] = 7.0  # a copy: the model is unchanged
    assert not np.any(model[0].weight.array == 7.0)
    tied = Net().state_dict()  # tied weights appear under both names, as in PyTorch
    assert "head.weight" in tied and "embed.weight" in tied and "steps" in tied


def test_state_dict_round_trip():
    source, target = Net(), Net()
    source(tinyopt.tensor(np.array([[0, 1], [2, 4]])).reshape(-1))  # moves running stats
    source.steps = tinyopt.tensor(np.array(3.0))
    missing, unexpected = target.load_state_dict(source.state_dict())
    assert missing == [] and unexpected == []
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert target.head.weight is target.embed.weight  # loading keeps the tie
    indices = tinyopt.tensor(np.array([1, 3, 3]))
    source.eval()
    target.eval()
    np.testing.assert_array_equal(source(indices).array, target(indices).array)


def test_load_state_dict_accepts_tensors():
    model = nn.Linear(2, 1)
    model.load_state_dict({"weight": tinyopt.tensor(np.ones((1, 2))),
                           "bias": tinyopt.tensor(np.zeros(1))})
    assert np.all(model.weight.array == 1)


@pytest.mark.parametrize("edit, words", [
    (lambda s: s.pop("0.bias"), ["missing", "0.bias"]),
    (lambda s: s.update(extra=np.zeros(1)), ["unexpected", "extra"]),
    (lambda s: s.update({"2.weight": np.zeros((3, 3))}), ["2.weight", "(3, 3)", "(1, 3)"]),
])
def test_bad_state_dict_raises_and_changes_nothing(edit, words):
    model = mlp()
    before = model.state_dict()
    state = {k: v + 1 for k, v in model.state_dict().items()}
    edit(state)
    with pytest.raises(ValueError) as error:
        model.load_state_dict(state)
    for word in words:
        assert word in str(error.value)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_non_strict_load_reports_keys_but_still_refuses_bad_shapes():
    model = mlp()
    state = model.state_dict()
    del state["0.bias"]
    state["extra"] = np.zeros(2)
    state["0.weight"] = state["0.weight"] + 1
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert missing == ["0.bias"] and unexpected == ["extra"]
    np.testing.assert_array_equal(model[0].weight.array, state["0.weight"])
    state["2.bias"] = np.zeros(5)
    with pytest.raises(ValueError, match="2.bias"):
        model.load_state_dict(state, strict=False)
    with pytest.raises(TypeError, match="dict"):
        model.load_state_dict([1, 2])


def test_register_buffer_is_saved_but_not_trained():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("count", np.zeros(2))

        def forward(self, x):
            self.count = self.count + 1
            return x
    model = Counter()
    model(None)
    assert isinstance(model.count, tinyopt.Tensor)
    assert list(model.state_dict()) == ["count"] and list(model.parameters()) == []
    np.testing.assert_array_equal(model.state_dict()["count"], [1, 1])
    fresh = Counter()
    fresh.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(fresh.count.array, [1, 1])


# ------------------------------------------------------------- containers
def test_sequential_indexing_and_registration():
    model = mlp()
    assert len(model) == 3 and isinstance(model[1], nn.ReLU) and model[-1] is model[2]
    head = model[1:]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[1] is model[2]
    assert [n for n, _ in head.named_parameters()] == ["2.weight", "2.bias"]  # names kept
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    model.append(nn.Sigmoid())
    assert len(model) == 4 and [n for n, _ in model.named_children()][-1] == "3"
    x = tinyopt.tensor(np.ones((5, 2)))
    assert model(x).shape == (5, 1) and np.all(model(x).array < 1)
    with pytest.raises(IndexError):
        model[7]
    with pytest.raises(TypeError, match="position 1"):
        nn.Sequential(nn.Linear(1, 1), lambda x: x)
    named = nn.Sequential(OrderedDict(fc=nn.Linear(2, 2), act=nn.Tanh()))
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]
    assert named.fc is named[0]
    assert nn.Sequential()(x) is x


def test_module_list_indexing_and_registration():
    layers = nn.ModuleList([nn.Linear(2, 2)])
    layers.append(nn.Linear(2, 3)).extend([nn.Tanh()])
    assert len(layers) == 3 and isinstance(layers[-1], nn.Tanh)
    assert [n for n, _ in layers.named_parameters()] == ["0.weight", "0.bias", "1.weight",
                                                         "1.bias"]
    assert isinstance(layers[:2], nn.ModuleList) and len(layers[:2]) == 2
    layers[2] = nn.ReLU()
    assert isinstance(layers[2], nn.ReLU) and len(layers) == 3
    with pytest.raises(TypeError, match="Modules"):
        layers.append(3)
    with pytest.raises(IndexError):
        layers[5]


# ------------------------------------------------------------------ repr
def test_repr_matches_torch_layout():
    assert repr(mlp()) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=3, out_features=1, bias=True)\n"
        ")")
    text = repr(nn.CausalSelfAttention(4, 2))
    assert text.startswith("CausalSelfAttention(\n  embed_dim=4, num_heads=2\n  (qkv): Linear(")
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.MSELoss()) == "MSELoss(reduction='mean')"
    assert "Parameter containing" in repr(nn.Linear(1, 1).weight)
