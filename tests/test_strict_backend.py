"""The library on the strict backend (a CPU stand-in for CuPy): same numbers, no hidden host copies.

Every test here runs a piece of the library twice from the same numbers:
on NumPy, and with ``set_backend("strict")``, whose arrays raise on any
implicit device->host copy (``float(x)``, ``x.item()``, ``if x:``, a
``numpy.*`` call). Passing means the code ran without one (the GPU would not
stall there) and computed the same values. The explicit host reads left in
a training step (``backend.to_host``, counted in ``backend.host_reads``) are
pinned at their current number per step.

Every optimizer's step runs here without one: the reductions some need (the
trust ratios' norms of LARS and LAMB, Adafactor's RMS, Prodigy's sums) stay
0-d device arrays and reach the update rules as device scalars.
"""
import os
import sys

import numpy as np
import pytest

import tinyopt
import tinyopt.nn.functional as F
from tinyopt import backend, data, nn, optim
from tinyopt.kernels import CupyExecutor
from tinyopt.nn import Parameter
from tinyopt.strict_backend import HostTransferError, StrictArray
from tinyopt.train import fit

from backend_helpers import fit_digits, steps_on_backend
from frontier_helpers import initial_arrays, smooth_grads
from test_cupy_executor import FRONTIER
from test_kernels_numba import CONFIGURATIONS


@pytest.fixture
def on_backend():
    """``on_backend(name)`` switches the backend; numpy is restored afterwards."""
    yield backend.set_backend
    backend.set_backend("numpy")


# ------------------------------------------------------------------ the stand-in itself
def test_strict_arrays_compute_as_numpy_and_refuse_implicit_host_copies(on_backend):
    on_backend("strict")
    xp = backend.xp
    host = np.arange(6.0).reshape(2, 3)
    x = xp.asarray(host)
    assert isinstance(x, StrictArray) and isinstance(x, xp.ndarray)
    y = xp.exp(x) * 2 + x.sum(axis=0)
    np.testing.assert_array_equal(backend.to_host(y), np.exp(host) * 2 + host.sum(axis=0))
    total = x.sum()
    assert isinstance(total, StrictArray) and total.shape == ()  # a reduction stays on the device
    refused = {"np.asarray": lambda: np.asarray(x),
               "np.sum": lambda: np.sum(x), "np.concatenate": lambda: np.concatenate([x, x]),
               "float": lambda: float(total), "int": lambda: int(total),
               "bool": lambda: bool(total > 0), "item": lambda: total.item(),
               "tolist": lambda: x.tolist(), "iteration": lambda: list(x)}
    for what, call in refused.items():
        with pytest.raises(HostTransferError, match="hidden device->host copy"):
            call()
            pytest.fail(f"{what} did not raise")
    with pytest.raises(TypeError, match=r"NumPy \(host\) array mixed with a device array"):
        x + np.ones(3)
    with pytest.raises(TypeError, match="condition must be a device array"):
        xp.where(True, x, 0.0)  # cupy.where calls condition.astype
    for ufunc_call in (lambda: np.exp(x), lambda: np.ones(3) + x):
        with pytest.raises(TypeError, match=r"does not support ufuncs|host\) array mixed"):
            ufunc_call()
    x[...] = np.zeros((2, 3))  # the uploads CuPy allows too
    x[x > -1] = 1.0  # a device mask
    x[:] = np.ones((2, 3))
    with pytest.raises(TypeError, match="mixed with a device array"):
        x[0] = np.ones(3)  # host data only into the whole array (x[...] = , x[:] =)
    reads = backend.host_reads
    np.testing.assert_array_equal(backend.to_host(x), np.ones((2, 3)))
    assert backend.host_reads == reads + 1
    assert backend.device_of(x) == "cuda:0"


def test_the_backend_switch_names_the_strict_backend(on_backend):
    on_backend("strict")
    t = tinyopt.tensor([1.0, 2.0])
    assert isinstance(t.array, StrictArray) and t.device == "cuda:0"
    back = t.to("cpu")
    assert isinstance(back.array, np.ndarray) and back.device == "cpu"
    assert isinstance(back.to("cuda").array, StrictArray)
    assert t.sum().item() == 3.0  # item() is the explicit way to the host


# ------------------------------------------------------------------ every optimizer's step
@pytest.mark.parametrize("executor", ["numpy", "cupy-twin"])
@pytest.mark.parametrize("optimizer_class, options", [
    pytest.param(c, o, id=f"{c.__name__}-{o}") for c, o in CONFIGURATIONS])
def test_optimizer_steps_on_the_strict_backend(optimizer_class, options, executor, on_backend):
    make = (lambda: CupyExecutor(emulate=True)) if executor == "cupy-twin" else lambda: "numpy"
    reference = steps_on_backend(optimizer_class, options, make(), np.float64)
    on_backend("strict")
    ours = steps_on_backend(optimizer_class, options, make(), np.float64)
    for mine, theirs in zip(ours, reference):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)


def _frontier_steps(make, steps=4):
    params = [Parameter(backend.to_device(x)) for x in initial_arrays(((4, 3), (3, 5), (6, 6)))]
    optimizer = make(params)
    optimizer.executor = CupyExecutor(emulate=True)
    for step in range(steps):
        grads = smooth_grads([backend.to_host(p.array) for p in params], step)
        for param, grad in zip(params, grads):
            param.grad = backend.to_device(grad)
        optimizer.step()
    optimizer.state_dict()
    return [backend.to_host(p.array) for p in params]


@pytest.mark.parametrize("make", [pytest.param(m, id=name) for m, name in FRONTIER])
def test_frontier_optimizers_on_the_strict_backend(make, on_backend):
    reference = _frontier_steps(make)
    on_backend("strict")
    for mine, theirs in zip(_frontier_steps(make), reference):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------ autograd and nn
def _index(n, k):
    return tinyopt.tensor(backend.to_device(np.arange(n) % k))


LAYERS = {
    "arithmetic": lambda T, M: (T(3, 4) * T(4) / (T(3, 1) ** 2 + 1) - T(3, 4)).sum(),
    "exp_log_tanh": lambda T, M: (T(3, 4).exp() + (T(3, 4) ** 2 + 1).log() + T(3, 4).tanh()).sum(),
    "matmul_reshape_index": lambda T, M: ((T(3, 4) @ T(4, 5)).reshape(5, 3).T[1:, ::2]).sum(),
    "max_sigmoid_relu": lambda T, M: (T(3, 4).max(dim=1)[0] if isinstance(T(3, 4).max(dim=1),
                                      tuple) else T(3, 4).max(dim=1)).sum()
    + (T(2, 2).sigmoid() + T(2, 2).relu()).sum(),
    "softmax_gelu_softplus": lambda T, M: (F.softmax(T(3, 4), dim=1) + M(nn.GELU())(T(3, 4))
                                           + M(nn.Softplus())(T(3, 4))).sum(),
    "linear": lambda T, M: M(nn.Linear(4, 3))(T(5, 4)).sum(),
    "conv_pools": lambda T, M: (M(nn.MaxPool2d(2))(M(nn.Conv2d(2, 3, 3, padding=1))(T(2, 2, 4, 4)))
                                .sum() + M(nn.AvgPool2d(2))(T(2, 2, 4, 4)).sum()
                                + M(nn.AdaptiveAvgPool2d(1))(T(2, 2, 4, 4)).sum()),
    "norms": lambda T, M: (M(nn.BatchNorm1d(4))(T(5, 4)).sum() + M(nn.LayerNorm(4))(T(5, 4)).sum()
                           + (M(nn.BatchNorm2d(2))(T(3, 2, 4, 4)) ** 2).sum()),
    "dropout_embedding": lambda T, M: M(nn.Dropout(0.5))(T(5, 4)).sum()
    + M(nn.Embedding(10, 3))(_index(6, 10)).sum(),
    "rnn_lstm": lambda T, M: M(nn.RNN(3, 4))(T(5, 2, 3))[0].sum() + M(nn.LSTM(3, 4))(T(5, 2, 3))[0]
    .sum(),
    "attention": lambda T, M: M(nn.CausalSelfAttention(8, 2))(T(2, 5, 8)).sum(),
    "losses": lambda T, M: nn.MSELoss()(T(5, 4), T(5, 4)) + nn.CrossEntropyLoss()(T(5, 4),
                                                                               _index(5, 4))
    + nn.NLLLoss()(F.log_softmax(T(5, 4), dim=1), _index(5, 4)) + nn.HuberLoss()(T(5, 4), T(5, 4))
    + nn.BCEWithLogitsLoss()(T(5, 4), T(5, 4).sigmoid()),
}


def _forward_backward(case):
    """The case's output and the gradients of every leaf it made, on the host."""
    tinyopt.manual_seed(0)
    rng = np.random.default_rng(0)
    leaves = []

    def T(*shape):
        leaves.append(tinyopt.tensor(backend.to_device(rng.standard_normal(shape)),
                                     requires_grad=True))
        return leaves[-1]

    def M(module):
        leaves.extend(module.parameters())
        return module

    output = case(T, M)
    output.backward()
    grads = [None if leaf.grad is None else backend.to_host(leaf.grad.array) for leaf in leaves]
    return backend.to_host(output.array), grads


@pytest.mark.parametrize("case", LAYERS.values(), ids=LAYERS.keys())
def test_autograd_and_layers_on_the_strict_backend(case, on_backend):
    reference, reference_grads = _forward_backward(case)
    on_backend("strict")
    output, grads = _forward_backward(case)
    np.testing.assert_allclose(output, reference, rtol=1e-6)
    assert len(grads) == len(reference_grads)
    for number, (mine, theirs) in enumerate(zip(grads, reference_grads)):
        assert (mine is None) == (theirs is None), f"leaf {number}"
        if mine is not None:
            np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-7,
                                       err_msg=f"leaf {number}")


# ------------------------------------------------------------------ fit on the digits
KNOWN_HOST_READS = {
    ("train_steps.py", "_checked"): "loss.item() for the history, once per batch",
    ("clip_grad.py", "grad_norm"): "the gradient norm fit records, per step",
    ("clip_grad.py", "weight_norm"): "the weight norm fit records, per step",
    ("loss.py", "_class_indices"): "cross_entropy's check that class indices are in range",
    ("train.py", "evaluate"): "validation loss, per batch",
    ("train.py", "accuracy"): "validation accuracy, per batch",
}
"""Every explicit host read left in ``fit`` (a GPU syncs at each), by file and function."""


PLUMBING = tuple(os.path.join("tinyopt", *path) for path in [("backend.py",),
                                                              ("autograd", "tensor.py")])


def _reader_sites(monkeypatch):
    """Count ``backend.to_host`` calls by the library function that asked (file, function)."""
    sites = {}
    original = backend.to_host

    def counted(array):
        frame = sys._getframe(1)
        while frame.f_code.co_filename.endswith(PLUMBING):
            frame = frame.f_back
        site = (os.path.basename(frame.f_code.co_filename), frame.f_code.co_name)
        sites[site] = sites.get(site, 0) + 1
        return original(array)

    monkeypatch.setattr(backend, "to_host", counted)
    return sites


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_fit_on_the_digits_on_the_strict_backend(kind, on_backend, monkeypatch):
    reference, reference_weights = fit_digits(kind, executor="numpy")
    on_backend("strict")
    sites = _reader_sites(monkeypatch)
    history, weights = fit_digits(kind, executor="numpy")
    np.testing.assert_allclose(history.steps["loss"], reference.steps["loss"], rtol=1e-6)
    for mine, theirs in zip(weights, reference_weights):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    library_sites = {site: n for site, n in sites.items()  # not the tests' own reads
                     if not site[0].startswith(("test_", "backend_helpers"))}
    assert set(library_sites) <= set(KNOWN_HOST_READS), (
        f"new host reads in fit: {set(library_sites) - set(KNOWN_HOST_READS)}")
    steps = len(history.steps["loss"])
    assert library_sites[("clip_grad.py", "grad_norm")] == steps
    assert library_sites[("train_steps.py", "_checked")] == steps


# ------------------------------------------------------------------ state across devices
def _adamw_steps(params, optimizer, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        for param in params:
            param.grad = backend.to_device(rng.standard_normal(param.shape))
        optimizer.step()


def test_state_dict_from_the_device_loads_on_the_host_and_back(on_backend, tmp_path):
    """3 steps "on the GPU", saved, 2 more on the CPU, saved, 2 more on the GPU: the same
    numbers as 7 steps on the CPU."""
    shapes = [(4, 3), (5,)]
    start = initial_arrays(shapes)
    cpu_params = [Parameter(x.copy()) for x in start]
    cpu_optimizer = optim.AdamW(cpu_params, lr=0.01)
    cpu_optimizer.executor = "numpy"
    for seed in range(3):
        _adamw_steps(cpu_params, cpu_optimizer, 1, seed)
    _adamw_steps(cpu_params, cpu_optimizer, 2, 10)
    _adamw_steps(cpu_params, cpu_optimizer, 2, 20)

    on_backend("strict")
    params = [Parameter(backend.to_device(x)) for x in start]
    optimizer = optim.AdamW(params, lr=0.01)
    for seed in range(3):
        _adamw_steps(params, optimizer, 1, seed)
    tinyopt.save({"params": [p.data for p in params], "optimizer": optimizer.state_dict()},
                 tmp_path / "device.pt")
    on_backend("numpy")
    saved = tinyopt.load(tmp_path / "device.pt")
    host_params = [Parameter(p.array) for p in saved["params"]]
    assert all(isinstance(p.array, np.ndarray) for p in host_params)
    host_optimizer = optim.AdamW(host_params, lr=0.01)
    host_optimizer.load_state_dict(saved["optimizer"])
    direct = optim.AdamW([Parameter(p.array.copy()) for p in saved["params"]], lr=0.01)
    direct.load_state_dict(optimizer.state_dict())  # device state straight into host params
    assert isinstance(direct.state[direct.param_groups[0]["params"][0]]["exp_avg"], np.ndarray)
    _adamw_steps(host_params, host_optimizer, 2, 10)
    on_backend("strict")
    params = [Parameter(backend.to_device(p.array)) for p in host_params]
    optimizer = optim.AdamW(params, lr=0.01)
    optimizer.load_state_dict(host_optimizer.state_dict())  # host state into device parameters
    assert isinstance(optimizer.state[params[0]]["exp_avg"], StrictArray)
    _adamw_steps(params, optimizer, 2, 20)
    for mine, theirs in zip(params, cpu_params):
        np.testing.assert_allclose(backend.to_host(mine.array), theirs.array, rtol=1e-12)


def test_new_optimizers_on_the_strict_backend_get_the_cupy_executor_with_twins(on_backend):
    on_backend("strict")
    optimizer = optim.SGD([Parameter(backend.to_device(np.ones(3)))], lr=0.1)
    assert isinstance(optimizer.executor, CupyExecutor) and optimizer.executor.emulate


def test_tensors_keep_their_device_across_the_switch_and_do_not_mix(on_backend):
    host = tinyopt.tensor([1.0, 2.0])
    on_backend("strict")
    device = tinyopt.tensor([3.0, 4.0])
    assert host.device == "cpu" and isinstance(host.array, np.ndarray)
    with pytest.raises(RuntimeError, match="same device, but found at least two devices, cpu "
                                           "and cuda:0"):
        host + device
    model = nn.Linear(2, 1)
    model.to("cpu")
    assert all(p.device == "cpu" for p in model.parameters())
    model.to("cuda")
    assert all(isinstance(p.array, StrictArray) for p in model.parameters())
    assert (host.to("cuda") + device).device == "cuda:0"


SCHEDULERS = {
    "OneCycleLR": (lambda o: optim.lr_scheduler.OneCycleLR(o, max_lr=0.05, total_steps=12),
                   "batch"),
    "ReduceLROnPlateau": (lambda o: optim.lr_scheduler.ReduceLROnPlateau(o, patience=0),
                          "epoch"),
    "CosineAnnealingLR": (lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=4), "epoch"),
}


def _fit_with_scheduler(make, interval):
    tinyopt.manual_seed(0)
    X, y, X_test, y_test = data.load_digits(seed=0, flatten=True)
    loader = data.DataLoader(data.TensorDataset(X[:128], y[:128]), batch_size=32, shuffle=True,
                             seed=0)
    val = data.DataLoader(data.TensorDataset(X_test[:64], y_test[:64]), batch_size=32)
    model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=3, val_loader=val,
                  progress=False, scheduler=make(optimizer), scheduler_interval=interval)
    return history.steps["lr"], history.steps["loss"]


@pytest.mark.parametrize("name", SCHEDULERS)
def test_schedulers_in_fit_on_the_strict_backend(name, on_backend):
    reference_lrs, reference_losses = _fit_with_scheduler(*SCHEDULERS[name])
    on_backend("strict")
    lrs, losses = _fit_with_scheduler(*SCHEDULERS[name])
    np.testing.assert_allclose(lrs, reference_lrs, rtol=1e-12)
    np.testing.assert_allclose(losses, reference_losses, rtol=1e-5)


FIT_OPTIONS = {
    "max_grad_norm": lambda: dict(max_grad_norm=0.5),
    "clip_value": lambda: dict(clip_value=0.05),
    "accumulate_steps": lambda: dict(accumulate_steps=2),
    "grad_scaler": lambda: dict(scaler=tinyopt.amp.GradScaler()),
    "bfloat16": lambda: dict(precision="bfloat16"),
    "record": lambda: dict(record=["grad_norm", "weight_norm", "update_norm", "update_ratio",
                                   "lr", "effective_lr"]),
}


def _fit_with(options):
    tinyopt.manual_seed(0)
    X, y, _, _ = data.load_digits(seed=0, flatten=True)
    loader = data.DataLoader(data.TensorDataset(X[:128], y[:128]), batch_size=32, shuffle=True,
                             seed=0)
    model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
    optimizer = optim.AdamW(model.parameters(), lr=0.01)
    optimizer.executor = "numpy"
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=2, progress=False,
                  **options)
    return history.steps["loss"]


@pytest.mark.parametrize("name", FIT_OPTIONS)
def test_fit_options_on_the_strict_backend(name, on_backend):
    """Clipping, accumulation, GradScaler (one host read for all its finiteness flags), emulated
    bfloat16 and the per-layer recorder (whose statistics are host reads by design)."""
    reference = _fit_with(FIT_OPTIONS[name]())
    on_backend("strict")
    np.testing.assert_allclose(_fit_with(FIT_OPTIONS[name]()), reference, rtol=1e-5)


WRAPPERS = {
    "SAM": lambda m: optim.SAM(m.parameters(), optim.SGD, lr=0.1),
    "SophiaG": lambda m: optim.SophiaG(m.parameters(), lr=0.01),
    "Lookahead": lambda m: optim.Lookahead(optim.AdamW(m.parameters(), lr=0.01), k=2),
    "AdamWScheduleFree": lambda m: optim.AdamWScheduleFree(m.parameters(), lr=0.01),
}


def _wrapper_steps(name, steps=3):
    tinyopt.manual_seed(0)
    X, y, _, _ = data.load_digits(seed=0, flatten=True)
    inputs, labels = X[:32], y[:32]
    model = nn.Sequential(nn.Linear(64, 16), nn.Tanh(), nn.Linear(16, 10))
    optimizer = WRAPPERS[name](model)
    optimizer.executor = "numpy"
    loss_fn = nn.CrossEntropyLoss()

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        return loss

    for _ in range(steps):
        closure()
        optimizer.step(closure) if name == "SAM" else optimizer.step()
        if name == "SophiaG":  # the Gauss-Newton-Bartlett estimate from sampled labels
            optimizer.zero_grad()
            logits = model(inputs)
            loss_fn(logits, optim.sample_labels(logits)).backward()
            optimizer.update_hessian()
    if name == "AdamWScheduleFree":
        optimizer.eval()
    optimizer.state_dict()
    return [backend.to_host(p.array) for p in model.parameters()]


@pytest.mark.parametrize("name", WRAPPERS)
def test_wrappers_and_curvature_optimizers_on_the_strict_backend(name, on_backend):
    reference = _wrapper_steps(name)
    on_backend("strict")
    for mine, theirs in zip(_wrapper_steps(name), reference):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
