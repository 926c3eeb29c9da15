"""Bad input to tinyopt.nn: errors that name the argument and the shapes.

Constructor arguments, unknown loss reductions (modules and functional),
layer, functional-layer and loss shape or target mismatches, targets given
as plain arrays and lists, and float32 models staying float32. No PyTorch
needed.
"""
import numpy as np
import pytest

import tinyopt
from tinyopt import nn
from tinyopt.nn import functional as F

from nn_helpers import seeded  # noqa: F401  (autouse fixture)


# --------------------------------------------------------------- bad input
@pytest.mark.parametrize("build, argument", [
    (lambda: nn.Linear(0, 3), "in_features"),
    (lambda: nn.Linear(3, -1), "out_features"),
    (lambda: nn.Linear(2.5, 3), "in_features"),
    (lambda: nn.Embedding(0, 3), "num_embeddings"),
    (lambda: nn.Conv2d(3, 4, 3, stride=0), "stride"),
    (lambda: nn.Conv2d(3, 4, 0), "kernel_size"),
    (lambda: nn.Conv2d(3, 4, 3, padding=-1), "padding"),
    (lambda: nn.Conv2d(0, 4, 3), "in_channels"),
    (lambda: nn.MaxPool2d(2, stride=0), "stride"),
    (lambda: nn.MaxPool2d(2, padding=2), "padding"),
    (lambda: nn.Dropout(p=1.5), "p"),
    (lambda: nn.Dropout(p=-0.1), "p"),
    (lambda: nn.GELU("fast"), "approximate"),
    (lambda: nn.LayerNorm(4, eps=0), "eps"),
    (lambda: nn.BatchNorm1d(0), "num_features"),
    (lambda: nn.BatchNorm2d(3, momentum=1.5), "momentum"),
    (lambda: nn.RNN(3, 0), "hidden_size"),
    (lambda: nn.LSTM(3, 4, num_layers=0), "num_layers"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), "nonlinearity"),
    (lambda: nn.CausalSelfAttention(10, 3), "num_heads"),
    (lambda: nn.CausalSelfAttention(0, 1), "embed_dim"),
    (lambda: nn.TransformerBlock(8, 3), "num_heads"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=1.5), "label_smoothing"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=-0.1), "label_smoothing"),
    (lambda: nn.HuberLoss(delta=0), "delta"),
    (lambda: nn.init.kaiming_normal_(nn.Parameter(np.zeros((2, 2))), mode="fan"), "mode"),
    (lambda: nn.init.calculate_gain("swish"), "swish"),
])
def test_bad_constructor_arguments_are_named(build, argument):
    with pytest.raises(ValueError, match=argument):
        build()


LOSSES = [nn.MSELoss, nn.CrossEntropyLoss, nn.NLLLoss, nn.BCEWithLogitsLoss, nn.HuberLoss]
FUNCTIONAL_LOSSES = [
    (F.mse_loss, np.zeros((2, 3))), (F.cross_entropy, np.array([0, 2])),
    (F.nll_loss, np.array([0, 2])), (F.binary_cross_entropy_with_logits, np.zeros((2, 3))),
    (F.huber_loss, np.zeros((2, 3))),
]


@pytest.mark.parametrize("loss", LOSSES)
def test_unknown_reduction_is_refused_by_every_loss(loss):
    with pytest.raises(ValueError, match="reduction.*'avg'"):
        loss(reduction="avg")


@pytest.mark.parametrize("loss, target", FUNCTIONAL_LOSSES)
def test_unknown_reduction_is_refused_by_every_functional_loss(loss, target):
    x = tinyopt.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="reduction.*'avg'"):
        loss(x, tinyopt.tensor(target), reduction="avg")


def raises_naming(error, call, *words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_layer_shape_mismatches_name_both_shapes():
    x = tinyopt.tensor(np.zeros((4, 5)))
    raises_naming(ValueError, lambda: nn.Linear(3, 2)(x), "(4, 5)", "(2, 3)")
    image = tinyopt.tensor(np.zeros((2, 4, 8, 8)))
    raises_naming(ValueError, lambda: nn.Conv2d(3, 2, 3)(image), "(2, 4, 8, 8)", "(2, 3, 3, 3)")
    raises_naming(ValueError, lambda: nn.Conv2d(4, 2, 9)(image), "kernel")
    raises_naming(ValueError, lambda: nn.MaxPool2d(2)(x), "(4, 5)")
    raises_naming(ValueError, lambda: nn.LayerNorm(3)(x), "(4, 5)", "(3,)")
    raises_naming(ValueError, lambda: nn.BatchNorm1d(3)(x), "(4, 5)", "3")
    raises_naming(ValueError, lambda: nn.BatchNorm1d(5)(x[:1]), "(1, 5)", "more than 1")
    raises_naming(ValueError, lambda: nn.RNN(3, 2)(tinyopt.tensor(np.zeros((4, 2, 5)))),
                  "(4, 2, 5)", "3")
    raises_naming(ValueError, lambda: nn.RNN(5, 2)(x, tinyopt.tensor(np.zeros((2, 2)))),
                  "(1, 1, 2)", "(2, 1, 2)")
    raises_naming(ValueError, lambda: nn.CausalSelfAttention(4, 2)(x), "(4, 5)")
    raises_naming(ValueError, lambda: nn.LSTM(5, 2)(x, tinyopt.tensor(np.zeros((1, 2)))),
                  "(h0, c0)")
    raises_naming(TypeError, lambda: nn.Embedding(3, 2)(np.array([0.0, 1.0])), "float64")
    raises_naming(IndexError, lambda: nn.Embedding(3, 2)(np.array([0, 3])), "[0, 3)")


def test_functional_layers_refuse_weights_that_would_only_broadcast():
    x = tinyopt.tensor(np.zeros((4, 3)))
    raises_naming(ValueError, lambda: F.linear(x, tinyopt.tensor(np.zeros((2, 3))),
                                               tinyopt.tensor(np.zeros(1))), "bias", "(2,)")
    raises_naming(ValueError, lambda: F.layer_norm(x, 3, tinyopt.tensor(np.ones(1))),
                  "weight", "(3,)", "(1,)")
    raises_naming(ValueError, lambda: F.batch_norm(x, None, None, None,
                                                   tinyopt.tensor(np.ones((1, 3))), True),
                  "bias", "(3,)", "(1, 3)")
    raises_naming(ValueError, lambda: F.batch_norm(x, tinyopt.tensor(np.zeros(4)),
                                                   tinyopt.tensor(np.ones(3))),
                  "running_mean", "(4,)")
    raises_naming(ValueError, lambda: F.conv2d(tinyopt.tensor(np.zeros((1, 1, 3, 3))),
                                               tinyopt.tensor(np.zeros((2, 1, 2, 2))),
                                               tinyopt.tensor(np.zeros(3))), "bias", "(3,)")


def test_loss_shape_and_target_mismatches_are_named():
    x = tinyopt.tensor(np.zeros((4, 3)))
    for loss in (nn.MSELoss(), nn.BCEWithLogitsLoss(), nn.HuberLoss()):
        raises_naming(ValueError, lambda: loss(x, tinyopt.tensor(np.zeros((4, 1)))),
                      "(4, 3)", "(4, 1)")
    cross_entropy = nn.CrossEntropyLoss()
    raises_naming(IndexError, lambda: cross_entropy(x, tinyopt.tensor(np.array([0, 1, 3, 0]))),
                  "[0, 3)")
    raises_naming(IndexError, lambda: cross_entropy(x, np.array([0, -1, 2, 0])), "[0, 3)")
    raises_naming(TypeError, lambda: cross_entropy(x, tinyopt.tensor(np.zeros(4))),
                  "integer", "float")
    raises_naming(ValueError, lambda: cross_entropy(x, np.array([0, 1])), "(4, 3)", "(2,)")
    raises_naming(ValueError, lambda: cross_entropy(tinyopt.tensor(np.zeros((2, 4, 3))),
                                                    np.array([0, 1])), "(2, 4, 3)")
    raises_naming(ValueError, lambda: nn.NLLLoss()(x, np.array([[0], [1], [2], [0]])),
                  "(4, 3)", "(4, 1)")


def test_losses_accept_plain_arrays_and_lists_as_targets():
    x = tinyopt.tensor(np.zeros((2, 3)))
    expected = np.log(3)
    assert np.isclose(F.cross_entropy(x, [0, 2]).item(), expected)
    assert np.isclose(F.cross_entropy(x, np.array([0, 2])).item(), expected)
    assert nn.Embedding(3, 2)([0, 2, 2]).shape == (3, 2)


def test_float32_layers_stay_float32():
    model = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.LayerNorm(4), nn.Linear(4, 2))
    x = tinyopt.tensor(np.ones((2, 3), dtype=np.float32))
    loss = F.cross_entropy(model(x), np.array([0, 1]))
    loss.backward()
    assert loss.dtype == np.float32
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32
               for p in model.parameters())


def test_float32_pooling_grouped_conv_padded_embedding_and_weighted_loss_stay_float32():
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=2, dilation=2, groups=2),
                          nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False),
                          nn.AdaptiveAvgPool2d((3, None)))
    x = tinyopt.tensor(np.ones((2, 2, 5, 5), dtype=np.float32))
    embedding = nn.Embedding(4, 3, padding_idx=1)
    scores = model(x) + embedding(np.array([1, 2])).reshape(2, 1, 1, 3)
    loss = F.cross_entropy(scores, np.array([[[0] * 3] * 3, [[3, -100, 2]] * 3]),
                           weight=np.array([1.0, 2.0, 0.5, 1.0]), label_smoothing=0.1)
    loss.backward()
    assert loss.dtype == np.float32 and scores.shape == (2, 4, 3, 3)
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32
               for p in list(model.parameters()) + [embedding.weight])
