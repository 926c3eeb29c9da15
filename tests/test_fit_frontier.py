"""``fit`` trains every frontier optimizer through its recipe (the protocol of
``tinyopt.train_steps``): each equals the hand-written loop its docstring shows, reaches
95 % on the digits MLP, and refuses the options it cannot train with."""
import numpy as np
import pytest
from frontier_helpers import digits_loaders, digits_mlp

import tinyopt
from tinyopt import data, nn, optim, serialization
from tinyopt.amp import GradScaler
from tinyopt.optim.sophia import sample_labels
from tinyopt.recipes import parse_recipe
from tinyopt.train import fit

FRONTIER = {  # recipe: epochs on the digits MLP
    "sam-mlp": 4, "sam:lr=0.05,momentum=0.9,rho=0.5,adaptive=True": 4, "lookahead-mlp": 4,
    "schedulefree-sgd": 4, "schedulefree-adamw": 4, "sophiag-mlp": 8, "sophiah-mlp": 8,
    "adahessian-mlp": 4, "muon": 4, "adopt-mlp": 4, "prodigy": 4, "soap": 4,
}


def _small_problem(batch_size=16, batchnorm=False, seed=0):
    """A float64 MLP on 64 samples of a 3-class problem (4 batches of 16)."""
    rng = np.random.default_rng(seed)
    X = tinyopt.Tensor(rng.standard_normal((64, 5)))
    y = tinyopt.Tensor(rng.integers(0, 3, 64))
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=batch_size, shuffle=True,
                             seed=seed)
    tinyopt.manual_seed(seed)
    layers = [nn.Linear(5, 8)] + ([nn.BatchNorm1d(8)] if batchnorm else []) + \
        [nn.Tanh(), nn.Linear(8, 3)]
    model = nn.Sequential(*layers)
    for param in model.parameters():
        param.array = param.array.astype(np.float64)
    return model, loader


def _weights(model):
    return [p.array.copy() for p in model.parameters()]


@pytest.mark.parametrize("recipe", list(FRONTIER))
def test_each_frontier_recipe_trains_the_digits_mlp_through_fit(recipe):
    pytest.importorskip("sklearn")
    train, X_test, y_test = digits_loaders()
    test = data.DataLoader(data.TensorDataset(X_test, y_test), batch_size=512)
    model = digits_mlp()
    optimizer = parse_recipe(recipe).build_optimizer(model.parameters())
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs=FRONTIER[recipe],
                  val_loader=test, progress=False)
    assert history.epochs["val_accuracy"][-1] >= 0.95, history.epochs["val_accuracy"]
    if "schedulefree" in recipe:  # evaluated at x, and left there for the caller
        assert not any(group["train_mode"] for group in optimizer.param_groups)
    if "sophia" in recipe:
        rates = history.steps["win_rate"]
        assert len(rates) == len(history.steps["loss"]) and all(0 <= r <= 1 for r in rates)
        assert max(rates) > min(rates)


def test_sam_through_fit_is_the_closure_loop_and_counts_batchnorm_once():
    model, loader = _small_problem(batchnorm=True)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SAM(model.parameters(), optim.SGD, rho=0.1, lr=0.1, momentum=0.9)
    fit(model, loss_fn, optimizer, loader, epochs=2, progress=False)
    hand, loader = _small_problem(batchnorm=True)
    reference = optim.SAM(hand.parameters(), optim.SGD, rho=0.1, lr=0.1, momentum=0.9)
    for _ in range(2):
        for x, y in loader:
            def closure():
                reference.zero_grad()
                with optim.sam.frozen_running_stats(hand):
                    loss = loss_fn(hand(x), y)
                    loss.backward()
                return loss
            reference.zero_grad()
            loss_fn(hand(x), y).backward()
            reference.step(closure)
    for got, want in zip(_weights(model) + [b.array for b in model.buffers()],
                         _weights(hand) + [b.array for b in hand.buffers()]):
        np.testing.assert_array_equal(got, want)
    assert int(model[1].num_batches_tracked.array) == 8  # one count per step, not two


@pytest.mark.parametrize("make", [
    lambda params: optim.AdaHessian(params, lr=0.05, eps=1e-4),
    lambda params: optim.SophiaH(params, lr=0.1, update_period=2)])
def test_hessian_optimizers_through_fit_are_the_closure_loop(make):
    model, loader = _small_problem()
    loss_fn = nn.CrossEntropyLoss()
    tinyopt.manual_seed(5)
    fit(model, loss_fn, make(model.parameters()), loader, epochs=2, progress=False)
    hand, loader = _small_problem()
    reference = make(hand.parameters())
    tinyopt.manual_seed(5)
    for _ in range(2):
        for x, y in loader:
            reference.zero_grad()
            reference.step(lambda: loss_fn(hand(x), y))
    for got, want in zip(_weights(model), _weights(hand)):
        np.testing.assert_array_equal(got, want)


def test_sophiag_through_fit_takes_the_sampled_hessian_every_update_period_steps():
    model, loader = _small_problem()
    loss_fn = nn.CrossEntropyLoss()
    tinyopt.manual_seed(5)
    optimizer = optim.SophiaG(model.parameters(), lr=0.01, rho=1.0, update_period=3)
    history = fit(model, loss_fn, optimizer, loader, epochs=2, progress=False)
    hand, loader = _small_problem()
    reference = optim.SophiaG(hand.parameters(), lr=0.01, rho=1.0, update_period=3)
    tinyopt.manual_seed(5)
    rates, step = [], 0
    for _ in range(2):
        for x, y in loader:
            reference.zero_grad()
            loss_fn(hand(x), y).backward()
            reference.step(bs=len(y))
            rates.append(reference.win_rate)
            if step % 3 == 2:
                reference.zero_grad()
                logits = hand(x)
                loss_fn(logits, sample_labels(logits)).backward()
                reference.update_hessian()
            step += 1
    for got, want in zip(_weights(model), _weights(hand)):
        np.testing.assert_array_equal(got, want)
    assert history.steps["win_rate"] == rates and rates[0] == 0.0 and rates[-1] > 0


@pytest.mark.parametrize("make", [
    lambda params: optim.SAM(params, optim.SGD, rho=0.1, lr=0.1, momentum=0.9),
    lambda params: optim.AdaHessian(params, lr=0.05, eps=1e-4)])
def test_accumulating_two_half_batches_equals_the_whole_batch(make):
    runs = []
    for batch_size, accumulate in ((32, 1), (16, 2)):
        model, loader = _small_problem(batch_size)
        tinyopt.manual_seed(5)
        fit(model, nn.CrossEntropyLoss(), make(model.parameters()), loader, epochs=2,
            progress=False, accumulate_steps=accumulate, max_grad_norm=0.5)
        runs.append(_weights(model))
    for whole, halves in zip(*runs):
        np.testing.assert_allclose(halves, whole, rtol=1e-12, atol=1e-14)


def test_schedule_free_evaluates_at_x_with_batchnorm_statistics_recomputed_there():
    model, loader = _small_problem(batchnorm=True)
    optimizer = optim.SGDScheduleFree(model.parameters(), lr=0.5)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=2, progress=False)
    assert not optimizer.param_groups[0]["train_mode"] and loader.epoch == 2
    at_x = [b.array.copy() for b in model.buffers()]
    optim.swa_utils.update_bn(loader, model)
    for got, want in zip(at_x, model.buffers()):
        np.testing.assert_allclose(got, want.array, rtol=1e-12)
    optimizer.train()  # back at y, the statistics are not those of x
    optim.swa_utils.update_bn(loader, model)
    assert not np.allclose(at_x[0], model[1].running_mean.array)


@pytest.mark.parametrize("make", [
    lambda params: optim.AdamWScheduleFree(params, lr=0.01, warmup_steps=3),
    lambda params: optim.Lookahead(params, k=3, alpha=0.5, base_optimizer=optim.SGD,
                                   lr=0.1, momentum=0.9),
    lambda params: optim.SAM(params, optim.SGD, rho=0.1, lr=0.1)])
def test_a_checkpoint_between_fits_resumes_bit_identically(make, tmp_path):
    model, loader = _small_problem(batchnorm=True)
    fit(model, nn.CrossEntropyLoss(), make(model.parameters()), loader, epochs=3,
        progress=False)
    parts, loader = _small_problem(batchnorm=True)
    optimizer = make(parts.parameters())
    fit(parts, nn.CrossEntropyLoss(), optimizer, loader, epochs=1, progress=False)
    weights = {name: np.array(value) for name, value in parts.state_dict().items()}
    serialization.save({"optimizer": optimizer.state_dict()}, tmp_path / "checkpoint.npz")
    resumed, loader = _small_problem(batchnorm=True, seed=0)
    loader.set_epoch(1)
    resumed.load_state_dict(weights)
    optimizer = make(resumed.parameters())
    optimizer.load_state_dict(serialization.load(tmp_path / "checkpoint.npz")["optimizer"])
    fit(resumed, nn.CrossEntropyLoss(), optimizer, loader, epochs=2, progress=False)
    for got, want in zip(_weights(resumed) + [b.array for b in resumed.buffers()],
                         _weights(model) + [b.array for b in model.buffers()]):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("make", [
    lambda params: optim.SAM(params, optim.SGD, lr=0.1),
    lambda params: optim.AdaHessian(params),
    lambda params: optim.SophiaH(params)])
def test_options_a_closure_or_hessian_optimizer_cannot_use_are_refused_by_name(make):
    model, loader = _small_problem()
    optimizer = make(model.parameters())
    before = _weights(model)
    with pytest.raises(ValueError, match="scaler: .*GradScaler"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, scaler=GradScaler(),
            progress=False)
    with pytest.raises(ValueError, match="precision='bfloat16'"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, precision="bfloat16",
            progress=False)
    for got, want in zip(_weights(model), before):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("make", [
    lambda params: optim.SAM(params, optim.SGD, rho=0.1, lr=0.1),
    lambda params: optim.AdaHessian(params, lr=0.05, eps=1e-4),
    lambda params: optim.SophiaG(params, lr=0.01, rho=1.0, update_period=2)])
def test_the_recorder_and_callbacks_see_every_step(make):
    model, loader = _small_problem()
    seen = []

    class Steps:
        def on_before_optimizer_step(self, step, loss, model, optimizer, history):
            seen.append(all(p.grad is not None for p in model.parameters()))

    history = fit(model, nn.CrossEntropyLoss(), make(model.parameters()), loader, epochs=2,
                  progress=False, callbacks=[Steps()], record=["grad_norm", "update_ratio"])
    assert seen == [True] * 8 and history.layers["step"] == list(range(8))
    ratios = history.layers["update_ratio/0.weight"]
    assert len(ratios) == 8 and all(0 < r < np.inf for r in ratios)


def test_sophiag_trains_in_float16_with_a_grad_scaler():
    model, loader = _small_problem()
    for param in model.parameters():
        param.array = param.array.astype(np.float32)
    optimizer = optim.SophiaG(model.parameters(), lr=0.01, rho=1.0, update_period=2)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=2, progress=False,
                  precision="float16", scaler=GradScaler())
    assert len(history.steps["win_rate"]) == 8 and history.steps["win_rate"][-1] > 0
    assert all(np.isfinite(p.array).all() for p in model.parameters())
    assert any(state["hessian"].any() for state in optimizer.state.values())
