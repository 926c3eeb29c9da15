"""Pooling, grouped/dilated convolution and padded embeddings against PyTorch.

AvgPool2d (ceil_mode, count_include_pad, divisor_override), AdaptiveAvgPool2d
(int, pair, None entries, growing and shrinking), MaxPool2d with dilation and
ceil_mode, Conv2d with dilation and groups, Embedding with padding_idx: the
forward and backward in float64 to 1e-10 (nn_torch_helpers.check_parity),
gradcheck against finite differences, and Hessian-vector products
(create_graph=True) equal to torch's double backward; reprs as torch's, and
a small ResNet (grouped, dilated convs, both poolings, weighted smoothed
cross-entropy) whose loss, gradients and running statistics equal torch's.
Bad options raise errors naming the argument, and 240 random configurations
(refused ones included) give torch's outcome.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinyopt  # noqa: E402
from tinyopt import gradcheck, nn  # noqa: E402
from tinyopt.nn import functional as F  # noqa: E402

from nn_torch_helpers import float64  # noqa: E402,F401  (autouse fixture)
from nn_torch_helpers import check_parity, close, hvp_matches_torch, normal  # noqa: E402

TF = torch.nn.functional


def leaf(array):
    return tinyopt.tensor(array, requires_grad=True)


# ------------------------------------------------------------- average pooling
AVG = [  # kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    (2, None, 0, False, True, None),
    (3, 2, 1, False, True, None),
    (3, 2, 1, False, False, None),
    (3, 2, 1, True, True, None),
    (3, 2, 1, True, False, None),
    ((2, 3), (2, 1), (1, 1), True, True, None),
    (2, 3, 0, True, True, None),  # ceil_mode windows hang over the input edge
    (3, 2, 1, False, True, 5),
]


@pytest.mark.parametrize("kernel, stride, padding, ceil_mode, include_pad, divisor", AVG)
def test_avg_pool2d(kernel, stride, padding, ceil_mode, include_pad, divisor):
    for shape in ((2, 3, 7, 6), (3, 8, 5)):  # batched and unbatched
        out, ref = check_parity(
            nn.AvgPool2d(kernel, stride, padding, ceil_mode, include_pad, divisor),
            torch.nn.AvgPool2d(kernel, stride, padding, ceil_mode, include_pad, divisor),
            normal(*shape))
    kwargs = dict(stride=stride, padding=padding, ceil_mode=ceil_mode,
                  count_include_pad=include_pad, divisor_override=divisor)
    check_parity(lambda x: F.avg_pool2d(x, kernel, **kwargs),
                 lambda x: TF.avg_pool2d(x, kernel, **kwargs), normal(2, 2, 7, 6))
    gradcheck(lambda x: F.avg_pool2d(x, kernel, **kwargs), leaf(normal(1, 2, 5, 6)))


def test_avg_pool2d_second_order():
    hvp_matches_torch(lambda x: F.avg_pool2d(x, 3, 2, 1, True, False),
                      lambda x: TF.avg_pool2d(x, 3, 2, 1, True, False), normal(2, 2, 6, 5))


# ------------------------------------------------------------ adaptive pooling
@pytest.mark.parametrize("output_size", [1, 3, (2, 4), (None, 2), (4, None), (9, 5), (7, 6),
                                         (3, 1)])
def test_adaptive_avg_pool2d(output_size):
    for shape in ((2, 3, 7, 6), (3, 7, 6)):
        check_parity(nn.AdaptiveAvgPool2d(output_size), torch.nn.AdaptiveAvgPool2d(output_size),
                     normal(*shape))
    check_parity(lambda x: F.adaptive_avg_pool2d(x, output_size),
                 lambda x: TF.adaptive_avg_pool2d(x, output_size), normal(2, 2, 7, 6))
    gradcheck(lambda x: F.adaptive_avg_pool2d(x, output_size), leaf(normal(1, 2, 7, 6)))


def test_adaptive_avg_pool2d_second_order_and_global_mean():
    hvp_matches_torch(lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
                      lambda x: TF.adaptive_avg_pool2d(x, (2, 3)), normal(2, 2, 5, 7))
    x = normal(2, 3, 4, 5)
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d(1)(tinyopt.tensor(x)).array,
                               x.mean(axis=(2, 3), keepdims=True), rtol=1e-14)


# ------------------------------------------------------ max pooling, new options
@pytest.mark.parametrize("kernel, stride, padding, dilation, ceil_mode", [
    (3, 2, 1, 2, False), ((2, 3), 1, 0, (2, 1), False), (3, 2, 1, 1, True), (2, 3, 0, 1, True),
    (3, 2, 0, 2, True),
])
def test_max_pool2d_dilation_and_ceil_mode(kernel, stride, padding, dilation, ceil_mode):
    check_parity(nn.MaxPool2d(kernel, stride, padding, dilation, ceil_mode=ceil_mode),
                 torch.nn.MaxPool2d(kernel, stride, padding, dilation, ceil_mode=ceil_mode),
                 normal(2, 3, 8, 7))
    check_parity(lambda x: F.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode),
                 lambda x: TF.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode),
                 normal(3, 8, 7))


# ------------------------------------------------------------------ convolution
CONV = [  # in, out, kernel, stride, padding, dilation, groups
    (6, 9, 3, 1, 1, 1, 3),
    (4, 4, 3, 1, 1, 1, 4),  # depthwise
    (4, 8, 3, 1, 0, 1, 4),  # depthwise with a channel multiplier of 2
    (3, 4, 3, 1, 2, 2, 1),
    (4, 6, (2, 3), (2, 1), (1, 2), (3, 2), 2),
    (2, 2, 1, 2, 0, 3, 2),
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("cin, cout, kernel, stride, padding, dilation, groups", CONV)
def test_conv2d_dilation_and_groups(cin, cout, kernel, stride, padding, dilation, groups, bias):
    tiny = nn.Conv2d(cin, cout, kernel, stride, padding, dilation, groups, bias)
    ref = torch.nn.Conv2d(cin, cout, kernel, stride, padding, dilation, groups, bias).double()
    assert tiny.weight.shape == tuple(ref.weight.shape)
    check_parity(tiny, ref, normal(2, cin, 8, 7))


def test_grouped_conv2d_init_uses_the_group_fan_in_as_torch():
    conv = nn.Conv2d(64, 128, 3, groups=16)  # fan_in = 64 / 16 * 3 * 3 = 36
    ref = torch.nn.Conv2d(64, 128, 3, groups=16)
    bound = 1 / np.sqrt(36)
    assert np.abs(conv.weight.array).max() <= bound and np.abs(conv.bias.array).max() <= bound
    assert conv.weight.array.std() == pytest.approx(ref.weight.std().item(), rel=0.05)


def test_conv2d_functional_gradcheck_and_second_order():
    x, w, b = normal(2, 4, 6, 5), normal(6, 2, 3, 2, seed=2), normal(6, seed=3)
    options = dict(stride=(1, 2), padding=1, dilation=(2, 1), groups=2)
    check_parity(lambda x, w, b: F.conv2d(x, w, b, **options),
                 lambda x, w, b: TF.conv2d(x, w, b, **options), x, w, b)
    gradcheck(lambda x, w, b: F.conv2d(x, w, b, **options), [leaf(x), leaf(w), leaf(b)])
    hvp_matches_torch(lambda x, w: F.conv2d(x, w, None, **options),
                      lambda x, w: TF.conv2d(x, w, None, **options), x * 0.3, w * 0.3)


def test_reprs_as_torch():
    for args, kwargs in (((4, 6, 3), dict(dilation=2, groups=2, bias=False)),
                         ((4, 6, (3, 1)), dict(stride=2, padding=(1, 0)))):
        assert repr(nn.Conv2d(*args, **kwargs)) == repr(torch.nn.Conv2d(*args, **kwargs))
    for name, args, kwargs in (("AvgPool2d", (3,), {}), ("AvgPool2d", ((2, 3), 1, 1), {}),
                               ("MaxPool2d", (2,), {}),
                               ("MaxPool2d", (3, 2, 1, 2), dict(ceil_mode=True)),
                               ("AdaptiveAvgPool2d", ((2, None),), {}),
                               ("AdaptiveAvgPool2d", (1,), {})):
        assert repr(getattr(nn, name)(*args, **kwargs)) == \
            repr(getattr(torch.nn, name)(*args, **kwargs))


# -------------------------------------------------------------------- embedding
@pytest.mark.parametrize("padding_idx", [0, 3, -1, -6])
def test_embedding_padding_idx(padding_idx):
    tiny, ref = nn.Embedding(6, 4, padding_idx=padding_idx), \
        torch.nn.Embedding(6, 4, padding_idx=padding_idx).double()
    assert tiny.padding_idx == ref.padding_idx
    row = tiny.padding_idx
    assert np.all(tiny.weight.array[row] == 0) and repr(tiny) == repr(ref)
    indices = np.array([[0, 3, 5], [row, row, 1]])
    with torch.no_grad():
        ref.weight[row] = 2.5  # a non-zero padding vector is read, still not trained
    check_parity(tiny, ref, indices)
    assert np.all(tiny.weight.grad[row] == 0)
    assert np.all(tiny(tinyopt.tensor(indices)).array[1, 0] == 2.5)
    check_parity(lambda w: F.embedding(tinyopt.tensor(indices), w, padding_idx),
                 lambda w: TF.embedding(torch.tensor(indices), w, padding_idx), normal(6, 3))
    # the padding row gets no gradient by design, so finite differences check the others,
    # with the padding row held constant
    fixed = tinyopt.tensor(normal(1, 3, seed=4))
    gradcheck(lambda above, below: F.embedding(indices, tinyopt.cat([above, fixed, below]),
                                               padding_idx),
              [leaf(normal(row, 3)), leaf(normal(5 - row, 3, seed=5))])
    hvp_matches_torch(lambda w: F.embedding(indices, w, padding_idx) * w.sum(),
                      lambda w: TF.embedding(torch.tensor(indices), w, padding_idx) * w.sum(),
                      normal(6, 3))


# ------------------------------------------------------------------- bad input
@pytest.mark.parametrize("build, error, words", [
    (lambda: nn.Conv2d(4, 6, 3, groups=3), ValueError, ["in_channels", "groups=3"]),
    (lambda: nn.Conv2d(6, 4, 3, groups=3), ValueError, ["out_channels", "groups=3"]),
    (lambda: nn.Conv2d(4, 4, 3, groups=0), ValueError, ["groups", "0"]),
    (lambda: nn.Conv2d(4, 4, 3, dilation=0), ValueError, ["dilation", "0"]),
    (lambda: nn.AvgPool2d(2, padding=2), ValueError, ["padding", "half"]),
    (lambda: nn.AvgPool2d(0), ValueError, ["kernel_size"]),
    (lambda: nn.AvgPool2d(2, divisor_override=0), ValueError, ["divisor_override"]),
    (lambda: nn.AdaptiveAvgPool2d((2, 3, 4)), ValueError, ["output_size", "(2, 3, 4)"]),
    (lambda: nn.AdaptiveAvgPool2d(-1), ValueError, ["output_size", "-1"]),
    (lambda: nn.AdaptiveAvgPool2d(2.5), ValueError, ["output_size", "2.5"]),
    (lambda: nn.MaxPool2d(3, padding=2, dilation=2), ValueError, ["padding", "half", "(3, 3)"]),
    (lambda: nn.Embedding(5, 2, padding_idx=5), ValueError, ["padding_idx", "5", "[-5, 5)"]),
    (lambda: nn.Embedding(5, 2, padding_idx=-6), ValueError, ["padding_idx", "-6"]),
    (lambda: nn.Embedding(5, 2, padding_idx=1.0), ValueError, ["padding_idx", "1.0"]),
])
def test_bad_options_name_the_argument(build, error, words):
    with pytest.raises(error) as raised:
        build()
    for word in words:
        assert word in str(raised.value)


def test_bad_inputs_name_the_problem():
    image = tinyopt.tensor(normal(1, 4, 5, 5))
    with pytest.raises(ValueError, match=r"\(N, 6, H, W\).*groups=2"):
        F.conv2d(image, tinyopt.tensor(normal(4, 3, 3, 3)), groups=2)
    with pytest.raises(ValueError, match="not divisible by groups=3"):
        F.conv2d(tinyopt.tensor(normal(1, 6, 5, 5)), tinyopt.tensor(normal(4, 2, 3, 3)),
                 groups=3)
    with pytest.raises(ValueError, match="too small"):
        F.avg_pool2d(image, 6)
    with pytest.raises(ValueError, match="(N, C, H, W)"):
        F.adaptive_avg_pool2d(tinyopt.tensor(normal(5, 5)), 2)
    with pytest.raises(ValueError, match="larger than"):
        F.conv2d(image, tinyopt.tensor(normal(2, 4, 3, 3)), dilation=3)


# ------------------------------------------------------------ a small ResNet
def small_resnet(lib):
    """The same ResNet-style model in tinyopt or torch (the course's CIFAR exercise in small)."""
    layers = lib.nn

    class Block(layers.Module):
        def __init__(self, channels):
            super().__init__()
            self.conv1 = layers.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn1 = layers.BatchNorm2d(channels)
            self.conv2 = layers.Conv2d(channels, channels, 3, padding=1, groups=2, bias=False)
            self.bn2 = layers.BatchNorm2d(channels)

        def forward(self, x):
            out = self.bn1(self.conv1(x)).relu()
            return (self.bn2(self.conv2(out)) + x).relu()

    return layers.Sequential(
        layers.Conv2d(3, 8, 3, stride=1, padding=1, bias=False), layers.BatchNorm2d(8),
        layers.ReLU(), layers.MaxPool2d(3, 2, 1), Block(8),
        layers.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8), layers.AvgPool2d(2),
        layers.AdaptiveAvgPool2d((1, 1)), layers.Flatten(), layers.Linear(8, 5))


def test_a_small_resnet_trains_like_torch():
    tiny, ref = small_resnet(tinyopt), small_resnet(torch).double()
    assert list(tiny.state_dict()) == list(ref.state_dict())
    target = np.array([0, 4, 2, 2])
    loss_tiny = nn.CrossEntropyLoss(tinyopt.tensor(np.arange(1.0, 6.0)), label_smoothing=0.1)
    loss_ref = torch.nn.CrossEntropyLoss(torch.arange(1.0, 6.0, dtype=torch.float64),
                                         label_smoothing=0.1)
    check_parity(lambda x: loss_tiny(tiny(x), tinyopt.tensor(target)),
                 lambda x: loss_ref(ref(x), torch.tensor(target)), normal(4, 3, 9, 9),
                 modules=(tiny, ref))
    for name, buffer in ref.named_buffers():  # the running statistics moved alike
        close(dict(tiny.named_buffers())[name], buffer, name)


# ------------------------------------------------------- random configurations
def ints(rng, low, high):
    return tuple(int(v) for v in rng.integers(low, high, size=2))


def same_outcome(tiny_call, torch_call):
    """Both raise (tinyopt a ValueError, torch a RuntimeError), or both give equal outputs."""
    try:
        expected = torch_call().numpy()
    except RuntimeError:
        with pytest.raises(ValueError):
            tiny_call()
        return False
    got = tiny_call().array
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-13)  # -inf windows equal too
    return True


def random_call(lib, functional, x, trial, options):
    """Op number ``trial % 4`` (avg, max, adaptive pooling, convolution) of library ``lib``."""
    kernel, stride, padding, dilation, ceil_mode, flag, output_size = options
    tensor = tinyopt.tensor if lib is tinyopt else torch.tensor
    weight = tensor(normal(4, 1 if flag else 2, *kernel, seed=trial + 1))
    return [lambda: functional.avg_pool2d(x, kernel, stride, padding, ceil_mode, flag),
            lambda: functional.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode),
            lambda: functional.adaptive_avg_pool2d(x, output_size),
            lambda: functional.conv2d(x, weight, None, stride, padding, dilation,
                                      1 + flag)][trial % 4]


def test_random_pooling_and_convolution_configurations_agree_with_torch():
    """Shapes, option checks and values over random options, including the refused ones."""
    rng, compared = np.random.default_rng(0), 0
    for trial in range(240):
        size = ints(rng, 1, 10)
        options = (ints(rng, 1, 5), ints(rng, 1, 4), ints(rng, 0, 3), ints(rng, 1, 3),
                   bool(rng.integers(2)), bool(rng.integers(2)), ints(rng, 1, 12))
        x = normal(2, 2, *size, seed=trial)
        compared += same_outcome(random_call(tinyopt, F, tinyopt.tensor(x), trial, options),
                                 random_call(torch, TF, torch.tensor(x), trial, options))
    assert compared > 100  # most configurations are valid ones
