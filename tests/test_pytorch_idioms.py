"""PyTorch idioms students write, run on tinyopt with only the import changed.

Each idiom below is one function of ``T``, the library: called once with
``torch`` and once with ``tinyopt`` on the same numbers, it must give the
same results (float64). The function bodies are PyTorch code as the course
writes it; nothing in them knows which library it runs on.
"""
import numpy as np
import pytest

import tinyopt

torch = pytest.importorskip("torch")


def seeded_mlp(T, seed=0):
    """A 3-8-2 MLP in float64 whose weights come from one NumPy seed (same in both libraries)."""
    rng = np.random.default_rng(seed)
    model = T.nn.Sequential(T.nn.Linear(3, 8), T.nn.Tanh(), T.nn.Linear(8, 2)).double()
    with T.no_grad():
        for p in model.parameters():
            p.copy_(T.from_numpy(rng.standard_normal(tuple(p.shape))))
    return model


def batches(T, count=12, seed=1):
    rng = np.random.default_rng(seed)
    return [(T.from_numpy(rng.standard_normal((16, 3))), T.from_numpy(rng.integers(0, 2, 16)))
            for _ in range(count)]


def weights(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


def assert_same(run, rtol=1e-10, **kwargs):
    ours, theirs = run(tinyopt, **kwargs), run(torch, **kwargs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=1e-12)


# ---------------------------------------------------------- from-scratch optimizers
def sgd_momentum_from_scratch(T):
    class SGDMomentum:
        def __init__(self, params, lr=0.05, momentum=0.9):
            self.params, self.lr, self.momentum = list(params), lr, momentum
            self.velocities = [T.zeros_like(p) for p in self.params]

        def zero_grad(self):
            for p in self.params:
                if p.grad is not None:
                    p.grad.zero_()

        @T.no_grad()
        def step(self):
            for p, v in zip(self.params, self.velocities):
                if p.grad is None:
                    continue
                v.mul_(self.momentum).add_(p.grad)
                p.add_(v, alpha=-self.lr)

    model = seeded_mlp(T)
    optimizer = SGDMomentum(model.parameters())
    loss_fn = T.nn.CrossEntropyLoss()
    for x, y in batches(T):
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    return weights(model)


def adam_from_scratch(T):
    class Adam:
        def __init__(self, params, lr=1e-2, betas=(0.9, 0.999), eps=1e-8):
            self.params, self.lr, self.betas, self.eps = list(params), lr, betas, eps
            self.m = [T.zeros_like(p.data) for p in self.params]
            self.v = [T.zeros_like(p.data) for p in self.params]
            self.t = 0

        def step(self):
            self.t += 1
            beta1, beta2 = self.betas
            for p, m, v in zip(self.params, self.m, self.v):
                g = p.grad.data
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                m_hat = m / (1 - beta1 ** self.t)
                v_hat = v / (1 - beta2 ** self.t)
                p.data.addcdiv_(m_hat, v_hat.sqrt().add_(self.eps), value=-self.lr)

    model = seeded_mlp(T)
    optimizer = Adam(model.parameters())
    for x, y in batches(T):
        model.zero_grad()
        T.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return weights(model) + [m.numpy() for m in optimizer.m]


def numpy_style_sgd(T):
    model = seeded_mlp(T)
    for x, y in batches(T, count=5):
        model.zero_grad()
        T.nn.functional.cross_entropy(model(x), y).backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad
            v = np.sqrt(p.grad.numpy() ** 2)  # NumPy functions read gradients directly
            assert v.shape == tuple(p.shape)
    return weights(model)


@pytest.mark.parametrize("idiom", [sgd_momentum_from_scratch, adam_from_scratch,
                                   numpy_style_sgd])
def test_optimizers_from_scratch_match_pytorch(idiom):
    assert_same(idiom)


# ------------------------------------------------------------- gradient norms
def grad_norm_per_parameter(T):
    model = seeded_mlp(T)
    x, y = batches(T, count=1)[0]
    T.nn.functional.cross_entropy(model(x), y).backward()
    norms = [p.grad.data.norm(2).item() for p in model.parameters()]
    total = sum(n ** 2 for n in norms) ** 0.5
    clipped = T.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
    return norms + [total, float(clipped)] + [p.grad.numpy() for p in model.parameters()]


def test_grad_norms_and_clipping_from_nn_utils_match_pytorch():
    assert_same(grad_norm_per_parameter)


# -------------------------------------------------------------- initialisation
def init_with_apply(T):
    rng = np.random.default_rng(3)

    def init_fn(m):
        if isinstance(m, T.nn.Linear):
            m.weight.data.copy_(T.from_numpy(rng.standard_normal(tuple(m.weight.shape))))
            m.bias.data.fill_(0.01)

    model = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.ReLU(), T.nn.Linear(4, 2)).double()
    model.apply(init_fn)
    x = T.ones(2, 3, dtype=T.float64)
    return weights(model) + [model(x).detach().numpy()]


def test_model_apply_with_init_function_matches_pytorch():
    assert_same(init_with_apply)


# ------------------------------------------------------------------- devices
def train_on_device(T):
    device = "cuda" if T.cuda.is_available() else "cpu"
    model = seeded_mlp(T).to(device)
    optimizer = T.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in batches(T, count=4):
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        T.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return [p.detach().cpu().numpy() for p in model.parameters()]


def test_device_agnostic_training_code_matches_pytorch():
    assert_same(train_on_device)


# --------------------------------------------------------------- AMP recipe
def amp_recipe(T):
    """PyTorch's AMP recipe loop (autocast + GradScaler), in bfloat16 on the CPU."""
    model = seeded_mlp(T).float()
    optimizer = T.optim.SGD(model.parameters(), lr=0.05)
    scaler = T.amp.GradScaler("cpu", init_scale=2.0 ** 8)
    losses = []
    for x, y in batches(T, count=6):
        optimizer.zero_grad()
        with T.amp.autocast("cpu", dtype=T.bfloat16):
            loss = T.nn.functional.cross_entropy(model(x.float()), y)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        T.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
    return [np.array(losses), scaler.get_scale()] + weights(model)


def test_amp_recipe_with_bfloat16_autocast_matches_pytorch():
    # bfloat16 rounding of products summed in float32: both libraries round the same
    # inputs, but float32 accumulation order differs, so agreement is to bf16's precision
    assert_same(amp_recipe, rtol=2e-2)


# -------------------------------------------------- custom Optimizer subclass
def custom_optimizer_with_scheduler(T):
    class MomentumSGD(T.optim.Optimizer):
        def __init__(self, params, lr=0.1, momentum=0.9):
            super().__init__(params, dict(lr=lr, momentum=momentum))

        @T.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with T.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if "buf" not in state:
                        state["buf"] = T.zeros_like(p)
                    state["buf"].mul_(group["momentum"]).add_(p.grad)
                    p.add_(state["buf"], alpha=-group["lr"])
            return loss

    model = seeded_mlp(T)
    optimizer = MomentumSGD(model.parameters())
    scheduler = T.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    lrs = []
    data = batches(T)
    for number, (x, y) in enumerate(data):
        if number == 6:  # resume from a checkpoint midway
            saved, saved_schedule = optimizer.state_dict(), scheduler.state_dict()
            optimizer = MomentumSGD(model.parameters())
            optimizer.load_state_dict(saved)
            scheduler = T.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
            scheduler.load_state_dict(saved_schedule)
        optimizer.zero_grad()
        T.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return [np.array(lrs)] + weights(model)


def test_custom_optimizer_written_the_pytorch_way_matches_pytorch():
    assert_same(custom_optimizer_with_scheduler)


def test_custom_optimizer_trains_under_fit():
    from tinyopt.data import DataLoader, TensorDataset, make_moons
    from tinyopt.train import fit

    class PlainSGD(tinyopt.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        @tinyopt.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.sub_(p.grad, alpha=group["lr"])

    tinyopt.manual_seed(0)
    X, y = make_moons(n_samples=256, noise=0.1, seed=0)
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, seed=0)
    model = tinyopt.nn.Sequential(tinyopt.nn.Linear(2, 32), tinyopt.nn.ReLU(),
                                  tinyopt.nn.Linear(32, 2))
    optimizer = PlainSGD(model.parameters(), lr=0.2)
    history = fit(model, tinyopt.nn.CrossEntropyLoss(), optimizer, loader, epochs=8)
    losses = history.epochs["train_loss"]
    assert losses[-1] < 0.6 * losses[0]
    assert optimizer.steps_taken == 8 * len(loader)


def momentum_rule(p, g, buf, lr, momentum):
    buf = momentum * buf + g
    p = p - lr * buf
    return p, buf


class RuleMomentumSGD(tinyopt.optim.Optimizer):
    """The README's "fast way": a rule and the state it reads."""

    def __init__(self, params, lr=0.1, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def _init_state(self, param, group):
        return {"buf": tinyopt.backend.xp.zeros_like(param.array)}

    def _prepare_update(self, param, group, state):
        return momentum_rule, [state["buf"]], (group["lr"], group["momentum"])


@pytest.mark.parametrize("executor", ["numba", "numpy"])
def test_the_readme_rule_optimizer_equals_torch_sgd_momentum(executor):
    results = []
    for T in (tinyopt, torch):
        model = seeded_mlp(T)
        if T is tinyopt:
            optimizer = RuleMomentumSGD(model.parameters(), lr=0.05)
            optimizer.executor = executor
        else:
            optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        for x, y in batches(T):
            optimizer.zero_grad()
            T.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        results.append(weights(model))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)
