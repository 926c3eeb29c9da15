"""tinyopt.nn layers against PyTorch: same weights, float64, 1e-10; and initialisation.

Linear, Embedding, Flatten/Identity, Conv2d, MaxPool2d (ties included),
Dropout, LayerNorm, BatchNorm1d/2d in train and eval, and the activations,
forward and backward (see nn_torch_helpers.check_parity); then the default
initialisations, the nn.init functions' variances, gains and fans.
"""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinyopt  # noqa: E402
from tinyopt import nn  # noqa: E402

from nn_torch_helpers import float64  # noqa: E402,F401  (autouse fixture)
from nn_torch_helpers import check_parity, close, copy_weights, normal  # noqa: E402


# ------------------------------------------------------------------ dense
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
def test_linear(bias, shape):
    check_parity(nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias).double(),
                 normal(*shape))


def test_embedding_with_repeated_indices():
    indices = np.array([[0, 3, 3], [5, 0, 3]])
    out, _ = check_parity(nn.Embedding(6, 4), torch.nn.Embedding(6, 4).double(), indices)
    assert out[0].shape == (2, 3, 4)


def test_flatten_and_identity():
    check_parity(nn.Flatten(), torch.nn.Flatten(), normal(2, 3, 4, 5))
    check_parity(nn.Flatten(0, 1), torch.nn.Flatten(0, 1), normal(2, 3, 4))
    check_parity(nn.Identity(), torch.nn.Identity(), normal(2, 3))


# ------------------------------------------------------------------ images
@pytest.mark.parametrize("kernel, stride, padding, bias", [
    (3, 1, 0, True),
    (3, 2, 1, True),
    ((2, 3), (2, 1), (1, 0), False),
    (1, 1, 0, True),
    ((3, 1), 3, (0, 2), True),
])
def test_conv2d(kernel, stride, padding, bias):
    tiny = nn.Conv2d(3, 4, kernel, stride=stride, padding=padding, bias=bias)
    ref = torch.nn.Conv2d(3, 4, kernel, stride=stride, padding=padding, bias=bias).double()
    check_parity(tiny, ref, normal(2, 3, 7, 6))


@pytest.mark.parametrize("kernel, stride, padding", [
    (2, None, 0), (3, 2, 1), ((2, 3), (1, 2), (1, 1)), (3, 1, 0),
])
def test_max_pool2d(kernel, stride, padding):
    check_parity(nn.MaxPool2d(kernel, stride, padding),
                 torch.nn.MaxPool2d(kernel, stride, padding), normal(2, 3, 7, 6))


def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum():
    x = np.maximum(normal(2, 2, 6, 6), 0.0)  # many windows of zeros after a ReLU
    x[0, 0, :2, :2] = 1.5  # a window of equal non-zero values
    check_parity(nn.MaxPool2d(2), torch.nn.MaxPool2d(2), x)
    check_parity(nn.MaxPool2d(3, 1, 1), torch.nn.MaxPool2d(3, 1, 1), x)


# ------------------------------------------------------------------ dropout
def test_dropout_is_identity_with_p0_and_in_eval():
    check_parity(nn.Dropout(0.0), torch.nn.Dropout(0.0), normal(4, 5))
    check_parity(nn.Dropout(0.7).eval(), torch.nn.Dropout(0.7).eval(), normal(4, 5))


def test_dropout_training_mask_and_scaling():
    p = 0.3
    x = tinyopt.tensor(np.ones((200, 500)), requires_grad=True)
    y = nn.Dropout(p)(x)
    kept = y.array != 0
    assert abs(kept.mean() - (1 - p)) < 0.01
    np.testing.assert_allclose(y.array[kept], 1 / (1 - p))
    y.sum().backward()
    np.testing.assert_allclose(x.grad, y.array)  # the mask and scale, once more
    assert np.all(nn.Dropout(1.0)(x).array == 0)


# ------------------------------------------------------------ normalisation
@pytest.mark.parametrize("shape, affine", [((4,), True), ((3, 4), True), ((3, 4), False)])
def test_layer_norm(shape, affine):
    tiny = nn.LayerNorm(shape, elementwise_affine=affine)
    ref = torch.nn.LayerNorm(shape, elementwise_affine=affine).double()
    if affine:  # non-trivial weights so their gradients mean something
        with torch.no_grad():
            ref.weight.normal_()
            ref.bias.normal_()
    check_parity(tiny, ref, normal(2, 5, *shape))


@pytest.mark.parametrize("cls, shape, momentum", [
    ("BatchNorm1d", (8, 3), 0.2), ("BatchNorm1d", (4, 3, 5), 0.1),
    ("BatchNorm2d", (4, 3, 5, 2), 0.1), ("BatchNorm2d", (2, 3, 2, 2), None),
])
def test_batch_norm_train_then_eval(cls, shape, momentum):
    tiny = getattr(nn, cls)(3, momentum=momentum)
    ref = getattr(torch.nn, cls)(3, momentum=momentum).double()
    with torch.no_grad():
        ref.weight.normal_()
        ref.bias.normal_()
    copy_weights(tiny, ref)
    for step in range(3):  # training steps: batch statistics, running ones updated
        tiny.zero_grad()
        ref.zero_grad()
        check_parity(tiny, ref, normal(*shape, seed=step) * 2 + 1, seed=step, copy=False)
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            close(getattr(tiny, name).array, getattr(ref, name), name)
    assert tiny.num_batches_tracked.array == 3
    tiny.eval()
    ref.eval()
    tiny.zero_grad()
    ref.zero_grad()
    check_parity(tiny, ref, normal(*shape, seed=9), copy=False)
    assert tiny.num_batches_tracked.array == 3  # eval leaves the statistics alone
    close(tiny.running_mean.array, ref.running_mean, "running_mean after eval")


def test_batch_norm_without_running_stats_uses_batch_stats_in_eval():
    tiny = nn.BatchNorm1d(3, track_running_stats=False, affine=False).eval()
    ref = torch.nn.BatchNorm1d(3, track_running_stats=False, affine=False).double().eval()
    check_parity(tiny, ref, normal(6, 3))


# ------------------------------------------------------------ activations
ACTIVATIONS = [
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU()),
    (lambda: nn.GELU(), lambda: torch.nn.GELU()),
    (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh")),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh()),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid()),
    (lambda: nn.Softplus(), lambda: torch.nn.Softplus()),
    (lambda: nn.Softplus(beta=2.0, threshold=3.0), lambda: torch.nn.Softplus(2.0, 3.0)),
    (lambda: nn.Softplus(beta=0.5, threshold=1.0), lambda: torch.nn.Softplus(0.5, 1.0)),
    (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1)),
    (lambda: nn.Softmax(dim=-1), lambda: torch.nn.Softmax(dim=-1)),
    (lambda: nn.LogSoftmax(dim=0), lambda: torch.nn.LogSoftmax(dim=0)),
    (lambda: nn.LogSoftmax(dim=-1), lambda: torch.nn.LogSoftmax(dim=-1)),
]


@pytest.mark.parametrize("make_tiny, make_ref", ACTIVATIONS)
def test_activation(make_tiny, make_ref):
    x = normal(3, 4, 5) * 4
    x[0, 0, :4] = [-30.0, 30.0, 0.5, 0.0]  # saturated regions, softplus' linear branch, a kink
    check_parity(make_tiny(), make_ref(), x)


def test_softmax_of_large_logits_is_finite():
    x = np.array([[1000.0, 0.0, -1000.0]])
    check_parity(nn.Softmax(dim=1), torch.nn.Softmax(dim=1), x)
    check_parity(nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1), x)


# ------------------------------------------------------------------- init
def std_close(values, expected, tolerance=0.02):
    assert abs(values.std() / expected - 1) < tolerance, (values.std(), expected)


def test_default_inits_follow_torch():
    linear = nn.Linear(500, 400)
    bound = 1 / math.sqrt(500)
    for param in (linear.weight, linear.bias):
        assert np.abs(param.array).max() <= bound
    std_close(linear.weight.array, bound / math.sqrt(3))
    assert abs(linear.weight.array.mean()) < 0.01 * bound

    conv = nn.Conv2d(16, 32, (3, 5))
    bound = 1 / math.sqrt(16 * 3 * 5)
    assert np.abs(conv.weight.array).max() <= bound and np.abs(conv.bias.array).max() <= bound
    std_close(conv.weight.array, bound / math.sqrt(3), 0.03)

    std_close(nn.Embedding(1000, 100).weight.array, 1.0)
    rnn = nn.LSTM(30, 50)
    for _, param in rnn.named_parameters():
        assert np.abs(param.array).max() <= 1 / math.sqrt(50)
    std_close(rnn.weight_hh_l0.array, 1 / math.sqrt(50) / math.sqrt(3), 0.03)

    norm = nn.LayerNorm(7)
    assert np.all(norm.weight.array == 1) and np.all(norm.bias.array == 0)
    batch_norm = nn.BatchNorm2d(5)
    assert np.all(batch_norm.running_var.array == 1) and np.all(batch_norm.running_mean.array == 0)
    assert linear.weight.dtype == np.float64


@pytest.mark.parametrize("fn, kwargs, expected_std", [
    ("xavier_uniform_", {}, math.sqrt(2 / (600 + 400))),
    ("xavier_uniform_", {"gain": 2.0}, 2 * math.sqrt(2 / (600 + 400))),
    ("xavier_normal_", {}, math.sqrt(2 / (600 + 400))),
    ("kaiming_uniform_", {"nonlinearity": "relu"}, math.sqrt(2 / 600)),
    ("kaiming_normal_", {"nonlinearity": "relu"}, math.sqrt(2 / 600)),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2 / 400)),
    ("kaiming_normal_", {"a": 0.1}, math.sqrt(2 / (1 + 0.01) / 600)),
    ("kaiming_uniform_", {"nonlinearity": "tanh"}, 5 / 3 / math.sqrt(600)),
])
def test_init_functions_variance(fn, kwargs, expected_std):
    weight = nn.Parameter(np.zeros((400, 600)))
    getattr(nn.init, fn)(weight, **kwargs)
    std_close(weight.array, expected_std)
    # same std as torch's own function on a tensor of the same shape
    reference = torch.empty(400, 600, dtype=torch.float64)
    getattr(torch.nn.init, fn)(reference, **kwargs)
    std_close(weight.array, reference.std().item())
    if "uniform" in fn:
        assert np.abs(weight.array).max() <= math.sqrt(3) * expected_std * (1 + 1e-12)


def test_init_gains_and_fans_match_torch():
    for name, param in [("linear", None), ("relu", None), ("tanh", None), ("sigmoid", None),
                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
                        ("conv2d", None)]:
        assert math.isclose(nn.init.calculate_gain(name, param),
                            torch.nn.init.calculate_gain(name, param), rel_tol=1e-12)
    weight = nn.Parameter(np.zeros((8, 3, 5, 2)))
    assert nn.init.calculate_fan_in_and_fan_out(weight) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(8, 3, 5, 2))
