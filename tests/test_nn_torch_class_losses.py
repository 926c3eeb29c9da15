"""Cross-entropy and NLL with class weights, ignore_index and PyTorch's layouts.

Against PyTorch in float64 to 1e-10, forward and backward: weight,
ignore_index (the default -100 and a real class), label smoothing, every
reduction, (N, C), (N, C, d1, d2) and unbatched (C,) input; the weighted
mean dividing by the weights of the targets kept; every target ignored
(nan, zero gradient, as torch). Also gradcheck, Hessian-vector products
equal to torch's double backward, the deprecated size_average/reduce flags,
the class weight saved as a buffer, and errors naming the argument.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinyopt  # noqa: E402
from tinyopt import gradcheck, nn  # noqa: E402
from tinyopt.autograd import grad  # noqa: E402
from tinyopt.nn import functional as F  # noqa: E402

from nn_torch_helpers import float64  # noqa: E402,F401  (autouse fixture)
from nn_torch_helpers import check_parity, close, normal  # noqa: E402

WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])
LAYOUTS = {  # input shape, target shape
    "(N, C)": ((6, 4), (6,)),
    "(N, C, d1, d2)": ((2, 4, 3, 2), (2, 3, 2)),
    "(C,)": ((4,), ()),
}


def targets(shape, ignore_index, seed=0):
    """Class indices with about a third set to ``ignore_index`` (never all of them)."""
    rng = np.random.default_rng(seed)
    target = rng.integers(0, 4, size=shape)
    if shape:
        mask = rng.random(shape) < 0.35
        mask.flat[0] = False
        target[mask] = ignore_index
    return target


def pair_of(tiny_loss, torch_loss, target):
    return (lambda x: tiny_loss(x, tinyopt.tensor(target)),
            lambda x: torch_loss(x, torch.tensor(target)))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", [None, WEIGHT])
@pytest.mark.parametrize("ignore_index, smoothing", [(-100, 0.0), (2, 0.0), (-100, 0.2),
                                                     (1, 0.3)])
def test_cross_entropy(layout, reduction, weight, ignore_index, smoothing):
    shape, target_shape = LAYOUTS[layout]
    target = targets(target_shape, ignore_index)
    options = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    tiny_weight = None if weight is None else tinyopt.tensor(weight)
    torch_weight = None if weight is None else torch.tensor(weight)
    check_parity(*pair_of(nn.CrossEntropyLoss(tiny_weight, **options),
                          torch.nn.CrossEntropyLoss(torch_weight, **options), target),
                 normal(*shape) * 3)
    check_parity(*pair_of(lambda x, t: F.cross_entropy(x, t, weight, **options),
                          lambda x, t: torch.nn.functional.cross_entropy(x, t, torch_weight,
                                                                         **options), target),
                 normal(*shape, seed=2))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", [None, WEIGHT])
def test_nll_loss(layout, reduction, weight):
    shape, target_shape = LAYOUTS[layout]
    target = targets(target_shape, 3)
    torch_weight = None if weight is None else torch.tensor(weight)
    scores = normal(*shape)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1 if len(shape) > 1 else 0,
                                                   keepdims=True))
    check_parity(*pair_of(nn.NLLLoss(weight, ignore_index=3, reduction=reduction),
                          torch.nn.NLLLoss(torch_weight, ignore_index=3, reduction=reduction),
                          target), log_probs)


def test_weighted_mean_divides_by_the_weights_of_the_kept_targets():
    logits, target = normal(5, 4), np.array([0, 1, 1, 3, -100])
    per_target = F.cross_entropy(tinyopt.tensor(logits), target, WEIGHT, reduction="none")
    kept_weights = WEIGHT[[0, 1, 1, 3]].sum()
    mean = F.cross_entropy(tinyopt.tensor(logits), target, WEIGHT)
    assert per_target.array[-1] == 0.0
    np.testing.assert_allclose(mean.array, per_target.array.sum() / kept_weights, rtol=1e-14)
    assert not np.isclose(mean.array, per_target.array[:4].mean())  # not the plain mean


def test_every_target_ignored_gives_nan_and_zero_gradient_as_torch():
    target = np.full(3, -100)
    for weight in (None, WEIGHT):
        for smoothing in (0.0, 0.2):
            x = tinyopt.tensor(normal(3, 4), requires_grad=True)
            loss = F.cross_entropy(x, target, weight, label_smoothing=smoothing)
            loss.backward()
            assert np.isnan(loss.item()) and np.all(x.grad == 0)
    # a target class weighted 0 is kept: 0 / 0 and nan gradients in its rows, as torch
    weight, target = np.array([1.0, 0.0, 1.0, 1.0]), np.array([1, 1, -100])
    x = tinyopt.tensor(normal(3, 4), requires_grad=True)
    x_ref = torch.tensor(normal(3, 4), requires_grad=True)
    loss = F.cross_entropy(x, target, weight)
    loss.backward()
    torch.nn.functional.cross_entropy(x_ref, torch.tensor(target), torch.tensor(weight)).backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(np.isnan(x.grad), torch.isnan(x_ref.grad).numpy())
    assert np.isnan(x.grad[:2]).all() and np.all(x.grad[2] == 0)


def test_gradcheck_and_second_order():
    target = targets((2, 3, 2), 1)

    def loss(x):
        return F.cross_entropy(x, target, WEIGHT, ignore_index=1, label_smoothing=0.2)
    x = normal(2, 4, 3, 2)
    gradcheck(loss, tinyopt.tensor(x, requires_grad=True))
    gradcheck(lambda x: F.nll_loss(x, target, WEIGHT, ignore_index=1, reduction="none"),
              tinyopt.tensor(x, requires_grad=True))
    # Hessian-vector product by double back-propagation, tinyopt and torch
    v = normal(2, 4, 3, 2, seed=7)
    tiny_x = tinyopt.tensor(x, requires_grad=True)
    g, = grad(loss(tiny_x), [tiny_x], create_graph=True)
    hv, = grad((g * tinyopt.tensor(v)).sum(), [tiny_x])
    ref_x = torch.tensor(x, requires_grad=True)
    ref_loss = torch.nn.functional.cross_entropy(ref_x, torch.tensor(target), torch.tensor(WEIGHT),
                                                 ignore_index=1, label_smoothing=0.2)
    ref_g, = torch.autograd.grad(ref_loss, [ref_x], create_graph=True)
    ref_hv, = torch.autograd.grad((ref_g * torch.tensor(v)).sum(), [ref_x])
    close(hv, ref_hv, "Hessian-vector product")
    assert np.abs(hv.array).max() > 1e-3


@pytest.mark.parametrize("size_average, reduce", [(None, False), (False, None), (True, True),
                                                  (False, True), (True, False)])
def test_deprecated_size_average_and_reduce_as_torch(size_average, reduce):
    target = np.array([0, 3, 2, 2, 1, 0])
    with pytest.warns(UserWarning, match="reduction="):
        tiny = nn.CrossEntropyLoss(None, size_average, -100, reduce)
    with pytest.warns(UserWarning):
        ref = torch.nn.CrossEntropyLoss(None, size_average, -100, reduce)
    assert tiny.reduction == ref.reduction
    check_parity(*pair_of(tiny, ref, target), normal(6, 4))


def test_class_weight_is_a_buffer_as_in_torch():
    tiny, ref = nn.CrossEntropyLoss(tinyopt.tensor(WEIGHT)), torch.nn.CrossEntropyLoss(
        torch.tensor(WEIGHT))
    assert list(tiny.state_dict()) == list(ref.state_dict()) == ["weight"]
    assert list(tiny.parameters()) == [] and nn.NLLLoss().state_dict() == {}
    tiny.load_state_dict({"weight": np.ones(4)})
    np.testing.assert_array_equal(tiny.weight.array, np.ones(4))


@pytest.mark.parametrize("call, error, words", [
    (lambda x: F.cross_entropy(x, [0, 1, 2, 4, 0, 0]), IndexError,
     ["[0, 4)", "ignore_index=-100", "4]"]),
    (lambda x: F.cross_entropy(x, [0, 1, 2, -1, 0, 0], ignore_index=-1), None, []),
    (lambda x: F.cross_entropy(x, [0, 1, 2, 3, 0, 0], np.ones(3)), ValueError,
     ["weight", "(4,)", "(3,)"]),
    (lambda x: F.cross_entropy(x.reshape(2, 4, 3), np.zeros((2, 4), int)), ValueError,
     ["(2, 4, 3)", "(2, 3)", "(2, 4)"]),
    (lambda x: F.nll_loss(x.reshape(-1), np.array([1])), ValueError, ["(24,)", "()", "(1,)"]),
    (lambda x: F.cross_entropy(x, [0, 1, 2, 3, 0, 0], label_smoothing=2), ValueError,
     ["label_smoothing", "2"]),
    (lambda x: nn.CrossEntropyLoss(ignore_index=1.5), ValueError, ["ignore_index", "1.5"]),
    (lambda x: nn.NLLLoss(weight=np.ones((2, 2))), ValueError, ["weight", "(2, 2)"]),
    (lambda x: nn.NLLLoss(reduction="avg"), ValueError, ["reduction", "'avg'"]),
])
def test_bad_input_names_the_argument(call, error, words):
    x = tinyopt.tensor(normal(6, 4))
    if error is None:
        assert np.isfinite(call(x).item())
        return
    with pytest.raises(error) as raised:
        call(x)
    for word in words:
        assert word in str(raised.value), (word, str(raised.value))
