"""Every tinyopt.nn layer and loss against PyTorch: same weights, float64, 1e-10.

Each check runs the forward pass in both libraries, compares the outputs,
back-propagates the same random upstream gradient through both, and compares
the gradients of every floating-point input and every parameter (by name).
Weights travel from the torch module into the tinyopt one through
``load_state_dict``, so the parameter names must match PyTorch's too.
"""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinyopt  # noqa: E402
from tinyopt import backend, nn  # noqa: E402
from tinyopt.nn import functional as F  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12


@pytest.fixture(autouse=True)
def float64():
    """Build every tinyopt module and tensor in float64 for these tests."""
    torch.manual_seed(0)
    tinyopt.manual_seed(0)
    with backend.default_dtype_as("float64"):
        yield


def close(got, expected, what=""):
    got = got.data if isinstance(got, tinyopt.Tensor) else np.asarray(got)
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=what)


def flat(value):
    """The tensors in a (nested) tuple output, in order."""
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in flat(v)]
    return [value]


def as_pair(array):
    """The same array as a tinyopt and a torch tensor; float ones require grad."""
    floating = np.issubdtype(array.dtype, np.floating)
    return (tinyopt.tensor(array, requires_grad=floating),
            torch.tensor(array, requires_grad=floating))


def copy_weights(tiny, ref):
    """Load the torch module's state into the tinyopt module (names must agree)."""
    tiny.load_state_dict({k: v.detach().numpy().copy() for k, v in ref.state_dict().items()})


def check_parity(tiny, ref, *inputs, seed=0, copy=True, modules=None):
    """Forward and backward of ``tiny(*inputs)`` and ``ref(*inputs)`` agree.

    ``tiny``/``ref`` are modules (compared parameter by parameter) or plain
    callables wrapping the pair of modules ``modules``. Returns the outputs.
    """
    if modules is None and isinstance(ref, torch.nn.Module):
        modules = (tiny, ref)
    if copy and modules is not None:
        copy_weights(*modules)
    pairs = [as_pair(a) for a in inputs]
    out_tiny = flat(tiny(*[p[0] for p in pairs]))
    out_ref = flat(ref(*[p[1] for p in pairs]))
    assert len(out_tiny) == len(out_ref)
    for i, (got, expected) in enumerate(zip(out_tiny, out_ref)):
        close(got, expected, f"output {i}")
    rng = np.random.default_rng(seed)
    seeds = [rng.normal(size=o.shape) for o in out_ref]
    loss_tiny = sum((o * s).sum() for o, s in zip(out_tiny, seeds))
    loss_ref = sum((o * torch.tensor(s)).sum() for o, s in zip(out_ref, seeds))
    loss_tiny.backward()
    loss_ref.backward()
    for i, (t, r) in enumerate(pairs):
        if r.requires_grad:
            close(t.grad, r.grad, f"gradient of input {i}")
    if modules is not None:
        ref_params = dict(modules[1].named_parameters())
        tiny_params = dict(modules[0].named_parameters())
        assert set(tiny_params) == set(ref_params)
        for name, param in tiny_params.items():
            close(param.grad, ref_params[name].grad, f"gradient of {name}")
    return out_tiny, out_ref


def normal(*shape, seed=1):
    return np.random.default_rng(seed).normal(size=shape)


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
    kept = y.data != 0
    assert abs(kept.mean() - (1 - p)) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / (1 - p))
    y.sum().backward()
    np.testing.assert_allclose(x.grad, y.data)  # the mask and scale, once more
    assert np.all(nn.Dropout(1.0)(x).data == 0)


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
            close(getattr(tiny, name).data, getattr(ref, name), name)
    assert tiny.num_batches_tracked.data == 3
    tiny.eval()
    ref.eval()
    tiny.zero_grad()
    ref.zero_grad()
    check_parity(tiny, ref, normal(*shape, seed=9), copy=False)
    assert tiny.num_batches_tracked.data == 3  # eval leaves the statistics alone
    close(tiny.running_mean.data, ref.running_mean, "running_mean after eval")


def test_batch_norm_without_running_stats_uses_batch_stats_in_eval():
    tiny = nn.BatchNorm1d(3, track_running_stats=False, affine=False).eval()
    ref = torch.nn.BatchNorm1d(3, track_running_stats=False, affine=False).double().eval()
    check_parity(tiny, ref, normal(6, 3))


# -------------------------------------------------------------- recurrent
RECURRENT_CASES = [  # (num_layers, batch_first, with initial state, unbatched)
    (1, False, False, False), (2, False, True, False), (2, True, False, False),
    (1, True, True, False), (2, False, True, True), (1, False, False, True),
]


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("layers, batch_first, given, unbatched", RECURRENT_CASES)
def test_rnn(nonlinearity, layers, batch_first, given, unbatched):
    tiny = nn.RNN(3, 4, num_layers=layers, nonlinearity=nonlinearity, batch_first=batch_first)
    ref = torch.nn.RNN(3, 4, num_layers=layers, nonlinearity=nonlinearity,
                       batch_first=batch_first).double()
    x = normal(5, 3) if unbatched else normal(2, 5, 3) if batch_first else normal(5, 2, 3)
    if not given:
        check_parity(tiny, ref, x)
        return
    h0 = normal(layers, 4, seed=2) if unbatched else normal(layers, 2, 4, seed=2)
    check_parity(tiny, ref, x, h0)


@pytest.mark.parametrize("layers, batch_first, given, unbatched", RECURRENT_CASES)
def test_lstm(layers, batch_first, given, unbatched):
    tiny = nn.LSTM(3, 4, num_layers=layers, batch_first=batch_first)
    ref = torch.nn.LSTM(3, 4, num_layers=layers, batch_first=batch_first).double()
    x = normal(5, 3) if unbatched else normal(2, 5, 3) if batch_first else normal(5, 2, 3)
    if not given:
        check_parity(tiny, ref, x)
        return
    state = (layers, 4) if unbatched else (layers, 2, 4)
    check_parity(lambda x, h, c: tiny(x, (h, c)), lambda x, h, c: ref(x, (h, c)),
                 x, normal(*state, seed=2), normal(*state, seed=3), modules=(tiny, ref))


def test_rnn_without_bias():
    check_parity(nn.RNN(3, 4, bias=False), torch.nn.RNN(3, 4, bias=False).double(),
                 normal(5, 2, 3))


# -------------------------------------------------------------- attention
def torch_causal_attention(x, w_qkv, b_qkv, w_out, b_out, heads):
    """The reference: PyTorch's scaled_dot_product_attention with is_causal=True."""
    batch, steps, channels = x.shape
    q, k, v = torch.nn.functional.linear(x, w_qkv, b_qkv).split(channels, dim=-1)
    split = lambda t: t.reshape(batch, steps, heads, -1).transpose(1, 2)  # noqa: E731
    y = torch.nn.functional.scaled_dot_product_attention(split(q), split(k), split(v),
                                                         is_causal=True)
    return torch.nn.functional.linear(y.transpose(1, 2).reshape(batch, steps, channels),
                                      w_out, b_out)


def torch_params(tiny):
    """Leaf torch tensors holding a copy of each tinyopt parameter, by name."""
    return {name: torch.tensor(p.data.copy(), requires_grad=True)
            for name, p in tiny.named_parameters()}


def check_params_grads(tiny, params):
    for name, param in tiny.named_parameters():
        close(param.grad, params[name].grad, f"gradient of {name}")


@pytest.mark.parametrize("heads", [1, 2, 4])
def test_causal_self_attention(heads):
    tiny = nn.CausalSelfAttention(8, heads)
    params = torch_params(tiny)

    def ref(x):
        return torch_causal_attention(x, params["qkv.weight"], params["qkv.bias"],
                                      params["out.weight"], params["out.bias"], heads)
    check_parity(tiny, ref, normal(2, 5, 8), copy=False)
    check_params_grads(tiny, params)


def test_causal_self_attention_sees_no_future():
    attention = nn.CausalSelfAttention(8, 2)
    x = normal(1, 6, 8)
    changed = x.copy()
    changed[:, 4:] += 1.0  # only the future of positions 0..3 changes
    before = attention(tinyopt.tensor(x)).data
    after = attention(tinyopt.tensor(changed)).data
    np.testing.assert_allclose(before[:, :4], after[:, :4], rtol=1e-12)
    assert not np.allclose(before[:, 4:], after[:, 4:])


def test_transformer_block():
    tiny = nn.TransformerBlock(8, 2)
    params = torch_params(tiny)
    for name in ("ln1.weight", "ln1.bias", "ln2.weight", "ln2.bias"):  # not just ones/zeros
        with torch.no_grad():
            params[name].normal_()
        getattr(tiny, name.split(".")[0]).__getattr__(name.split(".")[1]).data[...] = \
            params[name].detach().numpy()
    p = params
    tf = torch.nn.functional

    def ref(x):
        h = tf.layer_norm(x, (8,), p["ln1.weight"], p["ln1.bias"])
        x = x + torch_causal_attention(h, p["attention.qkv.weight"], p["attention.qkv.bias"],
                                       p["attention.out.weight"], p["attention.out.bias"], 2)
        h = tf.layer_norm(x, (8,), p["ln2.weight"], p["ln2.bias"])
        h = tf.linear(tf.gelu(tf.linear(h, p["mlp.0.weight"], p["mlp.0.bias"])),
                      p["mlp.2.weight"], p["mlp.2.bias"])
        return x + h
    check_parity(tiny, ref, normal(2, 5, 8), copy=False)
    check_params_grads(tiny, params)


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


# ------------------------------------------------------------------- init
def std_close(values, expected, tolerance=0.02):
    assert abs(values.std() / expected - 1) < tolerance, (values.std(), expected)


def test_default_inits_follow_torch():
    linear = nn.Linear(500, 400)
    bound = 1 / math.sqrt(500)
    for param in (linear.weight, linear.bias):
        assert np.abs(param.data).max() <= bound
    std_close(linear.weight.data, bound / math.sqrt(3))
    assert abs(linear.weight.data.mean()) < 0.01 * bound

    conv = nn.Conv2d(16, 32, (3, 5))
    bound = 1 / math.sqrt(16 * 3 * 5)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    std_close(conv.weight.data, bound / math.sqrt(3), 0.03)

    std_close(nn.Embedding(1000, 100).weight.data, 1.0)
    rnn = nn.LSTM(30, 50)
    for _, param in rnn.named_parameters():
        assert np.abs(param.data).max() <= 1 / math.sqrt(50)
    std_close(rnn.weight_hh_l0.data, 1 / math.sqrt(50) / math.sqrt(3), 0.03)

    norm = nn.LayerNorm(7)
    assert np.all(norm.weight.data == 1) and np.all(norm.bias.data == 0)
    batch_norm = nn.BatchNorm2d(5)
    assert np.all(batch_norm.running_var.data == 1) and np.all(batch_norm.running_mean.data == 0)
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
    std_close(weight.data, expected_std)
    # same std as torch's own function on a tensor of the same shape
    reference = torch.empty(400, 600, dtype=torch.float64)
    getattr(torch.nn.init, fn)(reference, **kwargs)
    std_close(weight.data, reference.std().item())
    if "uniform" in fn:
        assert np.abs(weight.data).max() <= math.sqrt(3) * expected_std * (1 + 1e-12)


def test_init_gains_and_fans_match_torch():
    for name, param in [("linear", None), ("relu", None), ("tanh", None), ("sigmoid", None),
                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
                        ("conv2d", None)]:
        assert math.isclose(nn.init.calculate_gain(name, param),
                            torch.nn.init.calculate_gain(name, param), rel_tol=1e-12)
    weight = nn.Parameter(np.zeros((8, 3, 5, 2)))
    assert nn.init.calculate_fan_in_and_fan_out(weight) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(8, 3, 5, 2))
