"""The ``tinyopt.*`` namespace: factories, math functions, norms, dtypes, devices, autocast.

Values and gradients are compared with torch's in float64; differentiable
functions also pass gradcheck; bad arguments raise naming what was given.
"""
import numpy as np
import pytest

import tinyopt
from tinyopt.autograd import gradcheck

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
Y = RNG.standard_normal((3, 4))
P = RNG.uniform(0.5, 2.0, (3, 4))

FUNCTIONS = {
    "sqrt": lambda T, x, y, p: T.sqrt(p),
    "exp": lambda T, x, y, p: T.exp(x),
    "log": lambda T, x, y, p: T.log(p),
    "sin": lambda T, x, y, p: T.sin(x),
    "cos": lambda T, x, y, p: T.cos(x),
    "tanh": lambda T, x, y, p: T.tanh(x),
    "sigmoid": lambda T, x, y, p: T.sigmoid(x),
    "abs": lambda T, x, y, p: T.abs(x),
    "sign": lambda T, x, y, p: T.sign(x) * x,
    "clamp": lambda T, x, y, p: T.clamp(x, -0.5, 0.5),
    "sum": lambda T, x, y, p: T.sum(x),
    "sum dim": lambda T, x, y, p: T.sum(x, 1, keepdim=True),
    "mean dim": lambda T, x, y, p: T.mean(x, 0),
    "max": lambda T, x, y, p: T.max(x),
    "max dim": lambda T, x, y, p: T.max(x, 1)[0],
    "max elementwise": lambda T, x, y, p: T.max(x, y),
    "min dim": lambda T, x, y, p: T.min(x, 0).values,
    "maximum": lambda T, x, y, p: T.maximum(x, y),
    "minimum": lambda T, x, y, p: T.minimum(x, y),
    "prod": lambda T, x, y, p: T.prod(p),
    "prod dim": lambda T, x, y, p: T.prod(p, 1),
    "norm": lambda T, x, y, p: T.norm(x),
    "norm p1 dim": lambda T, x, y, p: T.norm(x, 1, 1),
    "norm inf": lambda T, x, y, p: T.norm(x, float("inf")),
    "linalg.norm": lambda T, x, y, p: T.linalg.norm(x),
    "linalg.vector_norm dim": lambda T, x, y, p: T.linalg.vector_norm(x, 3, dim=0),
    "Tensor.norm": lambda T, x, y, p: x.norm(2, 1),
    "dot": lambda T, x, y, p: T.dot(x[0], y[0]),
    "matmul": lambda T, x, y, p: T.matmul(x, y.T),
    "where": lambda T, x, y, p: T.where(x > 0, x, y),
    "cat": lambda T, x, y, p: T.cat([x, y], 1),
    "stack": lambda T, x, y, p: T.stack([x, y]),
    "add alpha": lambda T, x, y, p: T.add(x, y, alpha=0.5),
    "lerp": lambda T, x, y, p: T.lerp(x, y, 0.3),
    "rsqrt": lambda T, x, y, p: T.rsqrt(p),
}


def _inputs(T, requires_grad=False):
    return [T.tensor(v, dtype=T.float64, requires_grad=requires_grad) for v in (X, Y, P)]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_values_and_gradients_match_torch(name):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tinyopt, torch):
        inputs = _inputs(lib, requires_grad=True)
        out = FUNCTIONS[name](lib, *inputs)
        (out * out).sum().backward()
        results.append([out.detach().numpy()] + [
            np.zeros_like(X) if t.grad is None else t.grad.numpy() for t in inputs])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in FUNCTIONS if n not in ("sign",)])
def test_functions_pass_gradcheck(name):
    gradcheck(lambda *inputs: FUNCTIONS[name](tinyopt, *inputs), _inputs(tinyopt, True))


def test_norm_gradient_at_zero_is_zero_as_in_torch():
    x = tinyopt.zeros(3, dtype=tinyopt.float64, requires_grad=True)
    tinyopt.norm(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)


def test_predicates_and_comparisons():
    t = tinyopt.tensor([1.0, float("nan"), float("inf"), -2.0])
    assert tinyopt.isnan(t).tolist() == [False, True, False, False]
    assert tinyopt.isinf(t).tolist() == [False, False, True, False]
    assert tinyopt.isfinite(t).tolist() == [True, False, False, True]
    assert tinyopt.allclose(tinyopt.ones(3), tinyopt.ones(3) + 1e-9)
    assert not tinyopt.allclose(tinyopt.ones(3), tinyopt.zeros(3))
    assert tinyopt.equal(tinyopt.arange(3), tinyopt.tensor([0, 1, 2]))


# ------------------------------------------------------------------ factories
def test_factories_give_torchs_shapes_and_dtypes():
    torch = pytest.importorskip("torch")
    calls = {
        "zeros": lambda T: T.zeros(2, 3), "ones": lambda T: T.ones((2, 3)),
        "full": lambda T: T.full((2,), 1.5), "full int": lambda T: T.full((2,), 7),
        "empty": lambda T: T.empty(4), "eye": lambda T: T.eye(3),
        "arange": lambda T: T.arange(5), "arange float": lambda T: T.arange(0, 1, 0.25),
        "linspace": lambda T: T.linspace(0, 1, 5),
        "zeros_like": lambda T: T.zeros_like(T.ones(2, 2, dtype=T.float64)),
        "ones_like": lambda T: T.ones_like(T.arange(3)),
        "full_like": lambda T: T.full_like(T.ones(2), 3.0),
        "empty_like": lambda T: T.empty_like(T.ones(2)),
        "as_tensor": lambda T: T.as_tensor([1, 2]),
        "from_numpy": lambda T: T.from_numpy(np.ones(2, dtype=np.float64)),
    }
    for name, call in calls.items():
        ours, theirs = call(tinyopt), call(torch)
        assert tuple(ours.shape) == tuple(theirs.shape), name
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), name
        if name not in ("empty", "empty_like"):
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), err_msg=name)


def test_random_factories_follow_manual_seed_and_shapes():
    tinyopt.manual_seed(3)
    first = [tinyopt.randn(2, 3), tinyopt.rand(4), tinyopt.randint(0, 5, (6,)),
             tinyopt.randn_like(tinyopt.zeros(2, dtype=tinyopt.float64)),
             tinyopt.rand_like(tinyopt.zeros(3))]
    tinyopt.manual_seed(3)
    again = [tinyopt.randn(2, 3), tinyopt.rand(4), tinyopt.randint(0, 5, (6,)),
             tinyopt.randn_like(tinyopt.zeros(2, dtype=tinyopt.float64)),
             tinyopt.rand_like(tinyopt.zeros(3))]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert first[0].dtype == tinyopt.float32 and first[2].dtype == tinyopt.int64
    assert first[3].dtype == tinyopt.float64
    assert 0 <= int(first[2].min()) and int(first[2].max()) < 5
    assert tinyopt.randn(3, requires_grad=True).requires_grad


def test_factory_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="size must be non-negative ints"):
        tinyopt.zeros(-1)
    with pytest.raises(TypeError, match="dtype 'float33' does not exist"):
        tinyopt.zeros(2, dtype="float33")
    with pytest.raises(ValueError, match="high .* must be greater than low"):
        tinyopt.randint(3, 3, (2,))
    with pytest.raises(TypeError, match="expected np.ndarray"):
        tinyopt.from_numpy([1, 2])


def test_from_numpy_and_numpy_share_memory():
    array = np.zeros(3)
    t = tinyopt.from_numpy(array)
    t.add_(1)
    np.testing.assert_array_equal(array, 1.0)
    assert np.shares_memory(t.numpy(), array)


# ---------------------------------------------------------- dtypes and devices
def test_to_casts_and_moves_like_torch():
    t = tinyopt.tensor([1.5, -2.5], requires_grad=True)
    assert t.to("cpu") is t and t.to(tinyopt.float32) is t
    double = t.to(tinyopt.float64)
    assert double.dtype == tinyopt.float64 and t.double().dtype == tinyopt.float64
    (double * 2).sum().backward()
    assert t.grad.dtype == tinyopt.float32  # the cast's gradient comes back in float32
    assert t.detach().long().tolist() == [1, -2]
    assert t.to("cpu", tinyopt.float16).dtype == tinyopt.float16
    assert t.to(tinyopt.zeros(1, dtype=tinyopt.float64)).dtype == tinyopt.float64
    assert t.device == "cpu" and t.device == tinyopt.device("cpu") and not t.is_cuda
    assert t.cpu() is t
    assert t.to("cpu", copy=True) is not t


def test_bfloat16_is_emulated_by_rounding():
    t = tinyopt.tensor([1.0 + 2 ** -10, 3.14159265])
    rounded = t.to(tinyopt.bfloat16)
    assert rounded.dtype == tinyopt.float32
    np.testing.assert_array_equal(rounded.numpy(), [1.0, 3.140625])


def test_bad_devices_and_dtypes_name_what_is_allowed():
    t = tinyopt.ones(2)
    with pytest.raises(ValueError, match="device must be 'cpu', 'cuda' or 'cuda:N', got 'tpu'"):
        t.to("tpu")
    with pytest.raises(TypeError, match="dtype 'float128x' does not exist; allowed: "):
        t.to("float128x")
    if not tinyopt.cuda.is_available():
        with pytest.raises(RuntimeError, match="device 'cuda' needs CuPy"):
            t.to("cuda")
        with pytest.raises(RuntimeError, match="device 'cuda'"):
            t.cuda()
        assert tinyopt.cuda.device_count() == 0


def test_mixed_devices_in_one_op_raise_torchs_error():
    class FakeGpuArray(np.ndarray):
        """A host array that reports a GPU, to test the check without one."""
        device = type("Device", (), {"id": 0})()

        def get(self):
            return np.asarray(self)

    gpu = tinyopt.ones(2, dtype=tinyopt.float64)
    gpu.array = np.ones(2).view(FakeGpuArray)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but "
                                           "found at least two devices, cuda:0 and cpu!"):
        gpu + tinyopt.ones(2, dtype=tinyopt.float64)


def test_module_to_keeps_parameter_objects():
    model = tinyopt.nn.Sequential(tinyopt.nn.Linear(2, 3), tinyopt.nn.BatchNorm1d(3))
    params = list(model.parameters())
    optimizer = tinyopt.optim.SGD(model.parameters(), lr=0.1)
    assert model.double() is model
    assert all(a is b for a, b in zip(params, model.parameters()))
    assert all(p.dtype == tinyopt.float64 for p in model.parameters())
    assert model[1].num_batches_tracked.dtype == tinyopt.int64  # integer buffers keep dtype
    model(tinyopt.ones(4, 2, dtype=tinyopt.float64)).sum().backward()
    optimizer.step()


# ------------------------------------------------------------------- autocast
def test_autocast_runs_products_in_low_precision_and_softmax_in_float32():
    w = tinyopt.nn.Linear(4, 3)
    x = tinyopt.randn(2, 4)
    with tinyopt.amp.autocast("cpu", dtype=tinyopt.float16):
        out = w(x)
        logp = out.log_softmax(-1)
        assert tinyopt.amp.is_autocast_enabled()
    assert not tinyopt.amp.is_autocast_enabled()
    assert out.dtype == tinyopt.float16 and logp.dtype == tinyopt.float32
    logp.sum().backward()
    assert w.weight.grad.dtype == tinyopt.float32


def test_autocast_bfloat16_rounds_products_and_matches_torch():
    torch = pytest.importorskip("torch")
    a, b = RNG.standard_normal((8, 16)).astype(np.float32), RNG.standard_normal(
        (16, 4)).astype(np.float32)
    with tinyopt.amp.autocast("cpu"):
        ours = (tinyopt.tensor(a) @ tinyopt.tensor(b)).numpy()
    with torch.amp.autocast("cpu", dtype=torch.bfloat16):
        theirs = (torch.tensor(a) @ torch.tensor(b)).float().numpy()
    exact = a @ b
    assert np.abs(ours - exact).max() > 1e-4  # rounded, not float32
    np.testing.assert_allclose(ours, theirs, rtol=2e-2, atol=2e-2)


def test_autocast_bad_arguments():
    with pytest.raises(ValueError, match="device_type must be 'cpu' or 'cuda', got 'gpu'"):
        tinyopt.amp.autocast("gpu")
    with pytest.raises(ValueError, match="autocast dtype must be tinyopt.float16 or "
                                         "tinyopt.bfloat16"):
        tinyopt.amp.autocast("cpu", dtype=tinyopt.float64)
