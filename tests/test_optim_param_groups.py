"""Parameter-group recipes: decay/no-decay split, layer-wise lr decay, backbone/head."""
import numpy as np
import pytest

import tinyopt.optim as optim
from tinyopt import nn
from tinyopt.nn import Module, Parameter
from tinyopt.optim.param_groups import no_weight_decay


class Block(Module):
    """Linear layer then LayerNorm, the shape of a transformer sub-block."""

    def __init__(self, width):
        super().__init__()
        self.linear = nn.Linear(width, width)
        self.norm = nn.LayerNorm(width)


class ScaledNorm(nn.LayerNorm):
    """A user's subclass of a normalisation layer, with an extra 2-D parameter."""

    def __init__(self, width):
        super().__init__(width)
        self.mixing = Parameter(np.eye(width))


class Model(Module):
    def __init__(self, width=4, depth=3):
        super().__init__()
        self.embedding = nn.Embedding(10, width)
        self.blocks = nn.ModuleList([Block(width) for _ in range(depth)])
        self.final_norm = ScaledNorm(width)
        self.head = nn.Linear(width, 2)


def ids(params):
    return {id(p) for p in params}


def test_weight_decay_groups_exclude_biases_and_every_normalisation_parameter():
    model = Model()
    decayed, undecayed = optim.weight_decay_groups(model, weight_decay=0.05)
    assert decayed["weight_decay"] == 0.05 and undecayed["weight_decay"] == 0.0
    expected_decayed = [model.embedding.weight, model.head.weight] + [
        block.linear.weight for block in model.blocks]
    assert ids(decayed["params"]) == ids(expected_decayed)
    assert model.final_norm.mixing.ndim == 2 and id(model.final_norm.mixing) in ids(
        undecayed["params"])
    assert ids(decayed["params"]) | ids(undecayed["params"]) == ids(model.parameters())
    assert len(decayed["params"]) + len(undecayed["params"]) == len(list(model.parameters()))


def test_weight_decay_groups_take_a_custom_exclusion_and_drop_empty_groups():
    model = Model()
    groups = optim.weight_decay_groups(
        model, 0.1, exclude=lambda module, name, param: module is model.head)
    assert ids(groups[1]["params"]) == ids(model.head.parameters())
    everything = optim.weight_decay_groups(model, 0.1, exclude=lambda *_: True)
    assert len(everything) == 1 and everything[0]["weight_decay"] == 0.0


def test_default_exclusion_rule():
    linear, norm = nn.Linear(3, 3), nn.LayerNorm(3)
    assert not no_weight_decay(linear, "weight", linear.weight)
    assert no_weight_decay(linear, "bias", linear.bias)
    assert no_weight_decay(norm, "weight", norm.weight)
    assert no_weight_decay(nn.BatchNorm1d(3), "weight", nn.BatchNorm1d(3).weight)


def test_layerwise_lr_decay_gives_geometric_learning_rates_from_the_top():
    model = Model()
    layers = [model.embedding, *model.blocks, [model.final_norm, model.head]]
    groups = optim.layerwise_lr_decay_groups(layers, lr=1e-3, decay=0.5)
    assert [g["lr"] for g in groups] == pytest.approx([1e-3 * 0.5 ** k for k in (4, 3, 2, 1, 0)])
    assert ids(groups[1]["params"]) == ids(model.blocks[0].parameters())
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))


def test_layerwise_lr_decay_with_weight_decay_splits_each_layer():
    model = Model()
    groups = optim.layerwise_lr_decay_groups([model.embedding, *model.blocks, model.head],
                                             lr=1.0, decay=0.1, weight_decay=0.01)
    # The embedding has only a weight (decayed); every other layer has both kinds.
    assert [g["lr"] for g in groups] == pytest.approx([1e-4, 1e-3, 1e-3, 1e-2, 1e-2, 1e-1, 1e-1,
                                                      1.0, 1.0])
    assert [g["weight_decay"] for g in groups] == [0.01] + [0.01, 0.0] * 4


def test_a_parameter_in_two_layers_or_a_bad_decay_raises():
    model = Model()
    with pytest.raises(ValueError, match="two of the given parts"):
        optim.layerwise_lr_decay_groups([model.blocks[0], model.blocks], lr=1.0, decay=0.5)
    with pytest.raises(ValueError, match=r"decay must be in \(0, 1\]"):
        optim.layerwise_lr_decay_groups([model.head], lr=1.0, decay=1.5)
    with pytest.raises(TypeError, match="Module"):
        optim.weight_decay_groups([model.head.weight], 0.1)


def test_backbone_head_groups_feed_an_optimizer():
    model = Model()
    backbone = [model.embedding, model.blocks, model.final_norm]
    groups = optim.backbone_head_groups(backbone, model.head, lr=1e-2, backbone_lr=1e-4,
                                        weight_decay=0.1)
    assert [(g["lr"], g["weight_decay"]) for g in groups] == [
        (1e-4, 0.1), (1e-4, 0.0), (1e-2, 0.1), (1e-2, 0.0)]
    plain = optim.backbone_head_groups(backbone, model.head, lr=1e-2, backbone_lr=1e-4)
    assert [g["lr"] for g in plain] == [1e-4, 1e-2] and "weight_decay" not in plain[0]
    optimizer = optim.Adam(plain, lr=123.0)
    before = model.head.weight.array.copy(), model.embedding.weight.array.copy()
    for param in model.parameters():
        param.grad = np.ones(param.shape)
    optimizer.step()  # Adam's first step is lr · sign(g)
    np.testing.assert_allclose(before[0] - model.head.weight.array, 1e-2, rtol=1e-4)
    np.testing.assert_allclose(before[1] - model.embedding.weight.array, 1e-4, rtol=1e-2)
