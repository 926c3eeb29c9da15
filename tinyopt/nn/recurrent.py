"""Recurrent layers: ``RNN`` (tanh or relu) and ``LSTM``, with PyTorch's parameter layout.

    RNN:   h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
    LSTM:  i, f, g, o = split(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
           c_t = sigma(f) * c_{t-1} + sigma(i) * tanh(g)
           h_t = sigma(o) * tanh(c_t)

Layer k's parameters are ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
``bias_hh_l{k}`` (gates stacked in the order i, f, g, o for the LSTM), all
initialised U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)). Input is (T, N, I),
or (N, T, I) with ``batch_first``, or unbatched (T, I).

The input's part of the pre-activations, x_t W_ih^T + b_ih + b_hh, is one
matrix product over all time steps before the loop; each step then adds one
product h_{t-1} W_hh^T for all gates together (the LSTM's four in one; the
input's part enters that product's op as its bias, so no add node), and
the LSTM step itself is one op (``autograd/ops/recurrent.py``).
"""
import math

from .. import backend
from ..autograd import Tensor, stack
from ..autograd.ops.linalg import linear
from ..autograd.ops.lstm_sequence import lstm_sequence
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class _Recurrent(Module):
    """Parameters and the layer loop shared by RNN and LSTM; ``_sequence`` runs one layer
    (RNN: step by step with its ``cell``; LSTM: one op for the whole sequence)."""

    gates = 1

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False):
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        bound = 1 / math.sqrt(hidden_size)
        rows = self.gates * hidden_size
        for layer in range(num_layers):
            columns = input_size if layer == 0 else hidden_size
            shapes = [("weight_ih", (rows, columns)), ("weight_hh", (rows, hidden_size))]
            if bias:
                shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
            for name, shape in shapes:
                param = Parameter(backend.xp.empty(shape, dtype=backend.default_dtype()))
                init.uniform_(param, -bound, bound)
                setattr(self, f"{name}_l{layer}", param)

    def _layer(self, layer):
        get = lambda name: getattr(self, f"{name}_l{layer}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _run(self, x, initial_states):
        """Run all layers; ``initial_states`` is a list (one per state kind) of (L, N, H)."""
        unbatched = x.ndim == 2
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: expected input (T, N, {self.input_size}) "
                             f"(or batch_first / unbatched), got {x.shape}")
        if unbatched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        batch = x.shape[1]
        states = self._initial(initial_states, batch, unbatched, x.dtype)
        inputs, finals = x, [[] for _ in states]
        for layer in range(self.num_layers):
            w_ih, w_hh, b_ih, b_hh = self._layer(layer)
            # the input's part of every gate at every step: one product before the loop
            projected = F.linear(inputs, w_ih, b_ih if b_hh is None else b_ih + b_hh)
            inputs, state = self._sequence(projected, tuple(s[layer] for s in states), w_hh)
            for kind, value in enumerate(state):
                finals[kind].append(value)
        output, finals = inputs, [stack(f, 0) for f in finals]
        if unbatched:
            return output.squeeze(1), [f.squeeze(1) for f in finals]
        if self.batch_first:
            output = output.transpose(0, 1)
        return output, finals

    def _sequence(self, projected, state, w_hh):
        """One layer over the sequence, step by step: (outputs (T, N, H), final state)."""
        outputs = []
        for projected_t in projected.unbind(0):
            state = self.cell(linear(state[0], w_hh, projected_t), state)
            outputs.append(state[0])
        return stack(outputs, 0), state

    def _initial(self, given, batch, unbatched, dtype):
        expected = (self.num_layers, batch, self.hidden_size)
        states = []
        for value in given:
            if value is None:
                states.append(Tensor(backend.xp.zeros(expected, dtype=dtype)))
                continue
            value = value.unsqueeze(1) if unbatched else value
            if value.shape != expected:
                raise ValueError(f"{type(self).__name__}: initial state must have shape "
                                 f"{expected}, got {value.shape}")
            states.append(value)
        return states

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"


class RNN(_Recurrent):
    """Elman RNN; ``forward(x, h0=None)`` returns ``(output, h_n)``."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first)
        self.nonlinearity = nonlinearity

    def cell(self, pre, state):
        """One step from the pre-activation x W_ih^T + b_ih + h W_hh^T + b_hh."""
        return (pre.tanh() if self.nonlinearity == "tanh" else pre.relu(),)

    def forward(self, x, h0=None):
        output, (h_n,) = self._run(x, [h0])
        return output, h_n


class LSTM(_Recurrent):
    """Long short-term memory; ``forward(x, (h0, c0)=None)`` returns ``(output, (h_n, c_n))``."""

    gates = 4

    def _sequence(self, projected, state, w_hh):
        """The whole layer as one op (``autograd/ops/lstm_sequence.py``): no node per step."""
        states = lstm_sequence(projected, state[0], state[1], w_hh)
        return states[:, 0], (states[-1, 0], states[-1, 1])

    def forward(self, x, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ValueError(f"LSTM: hx must be a pair (h0, c0) or None, got "
                             f"{type(hx).__name__}")
        h0, c0 = (None, None) if hx is None else hx
        output, (h_n, c_n) = self._run(x, [h0, c0])
        return output, (h_n, c_n)
