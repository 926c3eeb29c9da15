"""The PyTorch-parity harness shared by the test_nn_torch_*.py files.

Each check runs the forward pass in both libraries, compares the outputs,
back-propagates the same random upstream gradient through both, and compares
the gradients of every floating-point input and every parameter (by name).
Weights travel from the torch module into the tinyopt one through
``load_state_dict``, so the parameter names must match PyTorch's too.

``float64`` is an autouse fixture: a test file imports it so that every
tinyopt module and tensor in its tests is built in float64.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tinyopt  # noqa: E402
from tinyopt import backend  # noqa: E402
from tinyopt.autograd import grad  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12


@pytest.fixture(autouse=True)
def float64():
    """Build every tinyopt module and tensor in float64 for these tests."""
    torch.manual_seed(0)
    tinyopt.manual_seed(0)
    with backend.default_dtype_as("float64"):
        yield


def close(got, expected, what=""):
    got = got.array if isinstance(got, tinyopt.Tensor) else np.asarray(got)
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


def hvp_matches_torch(tiny_fn, torch_fn, *arrays, seed=3):
    """H v of sum(tanh(fn(*inputs))^2) w.r.t. every input, in tinyopt and in torch."""
    rng = np.random.default_rng(seed)
    vectors = [rng.normal(size=a.shape) for a in arrays]
    tiny_in = [tinyopt.tensor(a, requires_grad=True) for a in arrays]
    ref_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    grads = grad((tiny_fn(*tiny_in).tanh() ** 2).sum(), tiny_in, create_graph=True)
    tiny_hv = grad(sum((g * tinyopt.tensor(v)).sum() for g, v in zip(grads, vectors)), tiny_in)
    ref_grads = torch.autograd.grad((torch_fn(*ref_in).tanh() ** 2).sum(), ref_in,
                                    create_graph=True)
    ref_hv = torch.autograd.grad(sum((g * torch.tensor(v)).sum()
                                     for g, v in zip(ref_grads, vectors)), ref_in)
    for i, (got, expected) in enumerate(zip(tiny_hv, ref_hv)):
        close(got, expected, f"Hessian-vector product for input {i}")
        assert np.abs(got.array).max() > 1e-6, "trivially zero"
