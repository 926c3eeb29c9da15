"""tinyopt.nn sequence layers against PyTorch: same weights, float64, 1e-10 (and the float32
LSTM as accurate as torch's float32).

RNN (tanh and relu) and LSTM over layers, batch_first, initial states and
unbatched input; CausalSelfAttention against scaled_dot_product_attention
(and its causality), and the TransformerBlock. Forward and backward, see
nn_torch_helpers.check_parity.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinyopt  # noqa: E402
from tinyopt import nn  # noqa: E402

from nn_torch_helpers import float64  # noqa: E402,F401  (autouse fixture)
from nn_torch_helpers import check_parity, close, normal  # noqa: E402


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


def test_float32_lstm_is_as_close_to_float64_as_torchs_float32():
    """float32 takes the compiled gate pass with its own tanh and sigmoid
    (``ops/recurrent_kernel.py``): measured against torch in float64, its output and
    gradients are as accurate as torch's own float32 LSTM."""
    ref64 = torch.nn.LSTM(8, 16, batch_first=True).double()
    ref32 = torch.nn.LSTM(8, 16, batch_first=True)
    ref32.load_state_dict({k: v.float() for k, v in ref64.state_dict().items()})
    with tinyopt.backend.default_dtype_as("float32"):
        tiny = nn.LSTM(8, 16, batch_first=True)
    tiny.load_state_dict({k: v.detach().numpy().astype(np.float32)
                          for k, v in ref64.state_dict().items()})
    x, upstream = normal(4, 12, 8) * 2, normal(4, 12, 16, seed=4)

    def run(module, tensor, dtype):
        inputs = tensor(x.astype(dtype), requires_grad=True)
        out = module(inputs)[0]
        (out * tensor(upstream.astype(dtype))).sum().backward()
        weight = dict(module.named_parameters())["weight_hh_l0"]
        return [np.asarray(a.detach().numpy() if hasattr(a, "detach") else a.array, np.float64)
                for a in (out, inputs.grad, weight.grad)]
    found = run(tiny, tinyopt.tensor, np.float32)
    assert tiny(tinyopt.tensor(x.astype(np.float32)))[0].dtype == np.float32
    torch32, exact = run(ref32, torch.tensor, np.float32), run(ref64, torch.tensor, np.float64)
    for what, a, b, truth in zip(("output", "input gradient", "weight_hh gradient"),
                                 found, torch32, exact):
        error, torch_error = np.abs(a - truth).max(), np.abs(b - truth).max()
        assert error <= 2 * torch_error, (what, error, torch_error)


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
    return {name: torch.tensor(p.array.copy(), requires_grad=True)
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
    before = attention(tinyopt.tensor(x)).array
    after = attention(tinyopt.tensor(changed)).array
    np.testing.assert_allclose(before[:, :4], after[:, :4], rtol=1e-12)
    assert not np.allclose(before[:, 4:], after[:, 4:])


def test_transformer_block():
    tiny = nn.TransformerBlock(8, 2)
    params = torch_params(tiny)
    for name in ("ln1.weight", "ln1.bias", "ln2.weight", "ln2.bias"):  # not just ones/zeros
        with torch.no_grad():
            params[name].normal_()
        getattr(tiny, name.split(".")[0]).__getattr__(name.split(".")[1]).array[...] = \
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
