"""tinyopt.nn losses and the functional API against PyTorch: float64, 1e-10.

MSE, cross-entropy (label smoothing, extreme logits), NLL, BCE-with-logits
(pos_weight, soft labels) and Huber under every reduction, forward and
backward (see nn_torch_helpers.check_parity); functional layers called with
PyTorch's arguments, and functional losses matching the modules.
"""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinyopt  # noqa: E402
from tinyopt import nn  # noqa: E402
from tinyopt.nn import functional as F  # noqa: E402

from nn_torch_helpers import float64  # noqa: E402,F401  (autouse fixture)
from nn_torch_helpers import check_parity, close, normal  # noqa: E402


# ----------------------------------------------------------------- losses
REDUCTIONS = ["mean", "sum", "none"]


def check_loss(tiny, ref, x, target):
    """Like check_parity, but the target never requires grad."""
    check_parity(lambda a: tiny(a, tinyopt.tensor(target)),
                 lambda a: ref(a, torch.tensor(target)), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(reduction):
    check_loss(nn.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction),
               normal(4, 3), normal(4, 3, seed=2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
def test_cross_entropy_loss(reduction, smoothing):
    logits = normal(6, 5) * 3
    logits[0] = [100.0, -100.0, 0.0, 50.0, -50.0]  # stays finite
    target = np.array([0, 4, 4, 1, 2, 3])
    check_loss(nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing),
               torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing),
               logits, target)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction):
    log_probs = np.log(np.random.default_rng(0).dirichlet(np.ones(4), size=5))
    check_loss(nn.NLLLoss(reduction=reduction), torch.nn.NLLLoss(reduction=reduction),
               log_probs, np.array([3, 0, 0, 2, 1]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos_weight", [None, np.array([0.5, 2.0, 3.0])])
def test_bce_with_logits_loss(reduction, pos_weight):
    logits = normal(4, 3) * 3
    logits[0] = [50.0, -50.0, 0.0]
    logits[1] = [-50.0, 50.0, 1e-3]
    target = np.random.default_rng(2).integers(0, 2, size=(4, 3)).astype(np.float64)
    target[0] = [0.0, 1.0, 0.5]  # the extreme logits on the wrong side; a soft label
    target[1] = [0.0, 1.0, 1.0]
    weight_t = None if pos_weight is None else tinyopt.tensor(pos_weight)
    weight_r = None if pos_weight is None else torch.tensor(pos_weight)
    check_loss(nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=weight_t),
               torch.nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=weight_r),
               logits, target)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
def test_huber_loss(reduction, delta):
    check_loss(nn.HuberLoss(reduction=reduction, delta=delta),
               torch.nn.HuberLoss(reduction=reduction, delta=delta),
               normal(5, 4) * 2, normal(5, 4, seed=2))


def test_functional_layers_take_torch_arguments():
    """The same calls, argument for argument, in both libraries."""
    w, b = normal(4, 3, 3, 2, seed=3), normal(4, seed=4)
    check_parity(lambda x, w, b: F.conv2d(x, w, b, (2, 1), 1),
                 lambda x, w, b: torch.nn.functional.conv2d(x, w, b, (2, 1), 1),
                 normal(2, 3, 6, 5), w, b)
    check_parity(lambda x: F.max_pool2d(x, 3, 2, 1),
                 lambda x: torch.nn.functional.max_pool2d(x, 3, 2, 1), normal(2, 3, 6, 5))
    check_parity(lambda x, w, b: F.layer_norm(x, (5,), w, b, 1e-3),
                 lambda x, w, b: torch.nn.functional.layer_norm(x, (5,), w, b, 1e-3),
                 normal(2, 3, 5), normal(5, seed=2), normal(5, seed=3))
    check_parity(lambda x, w: F.embedding(x, w), lambda x, w: torch.nn.functional.embedding(x, w),
                 np.array([[1, 0, 1]]), normal(3, 2))
    running = [np.zeros(3), np.ones(3)]
    tiny_stats = [tinyopt.tensor(a.copy()) for a in running]
    ref_stats = [torch.tensor(a.copy()) for a in running]
    check_parity(lambda x, w, b: F.batch_norm(x, *tiny_stats, w, b, True, 0.3, 1e-3),
                 lambda x, w, b: torch.nn.functional.batch_norm(x, *ref_stats, w, b, True, 0.3,
                                                                1e-3),
                 normal(4, 3, 2), normal(3, seed=2), normal(3, seed=3))
    for got, expected in zip(tiny_stats, ref_stats):
        close(got, expected, "running statistics")
    check_parity(lambda x: F.softplus(x, 2.0, 1.0) + F.gelu(x, "tanh"),
                 lambda x: torch.nn.functional.softplus(x, 2.0, 1.0)
                 + torch.nn.functional.gelu(x, approximate="tanh"), normal(3, 4))


def test_functional_losses_match_modules():
    x, target = tinyopt.tensor(normal(4, 3)), tinyopt.tensor(np.array([0, 2, 1, 2]))
    assert F.cross_entropy(x, target).item() == nn.CrossEntropyLoss()(x, target).item()
    expected = torch.nn.functional.cross_entropy(torch.tensor(normal(4, 3)),
                                                 torch.tensor([0, 2, 1, 2]))
    assert math.isclose(F.cross_entropy(x, target).item(), expected.item(), rel_tol=1e-12)
