"""``fit``'s options: schedulers per batch, per epoch and on a validation metric,
clipping, per-step records (lr, gradient norms, weight norm) and argument checks."""
import numpy as np
import pytest

import tinyopt
from tinyopt import data, nn, optim
from tinyopt.amp import GradScaler
from tinyopt.optim import lr_scheduler
from tinyopt.optim.lr_scheduler import closed_forms as cf
from tinyopt.train import fit


def _setup(lr=0.1, groups=False):
    tinyopt.manual_seed(0)
    X, y = data.make_moons(n_samples=128, noise=0.1, seed=0)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=32, shuffle=True, seed=0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    params = ([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": lr / 10}]
              if groups else model.parameters())
    return model, optim.SGD(params, lr=lr, momentum=0.9), loader


def test_one_cycle_stepped_per_batch_is_recorded_step_by_step():
    model, optimizer, loader = _setup()
    total = 5 * len(loader)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.5, total_steps=total)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=5, progress=False,
                  scheduler=scheduler, scheduler_interval="batch")
    assert history.steps["lr"] == [cf.one_cycle_lr(t, 0.5, total) for t in range(total)]


def test_per_epoch_scheduler_and_group_lrs():
    model, optimizer, loader = _setup(groups=True)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=3, progress=False,
                  scheduler=scheduler)
    per_epoch = len(loader)
    assert history.steps["lr"] == [0.1] * per_epoch + [0.05] * per_epoch + [0.025] * per_epoch
    assert history.steps["lr_group1"][-1] == pytest.approx(0.0025)


def test_plateau_watches_the_validation_metric():
    model, optimizer, loader = _setup(lr=1e-6)   # too small to improve: plateaus at once
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, threshold=0.5)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=3, progress=False,
                  val_loader=loader, scheduler=scheduler)
    assert scheduler.get_last_lr()[0] == pytest.approx(1e-8)
    assert len(history.epochs["val_loss"]) == 3
    model, optimizer, loader = _setup()
    with pytest.raises(ValueError, match="scheduler_metric 'val_loss' is not recorded"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, progress=False,
            scheduler=lr_scheduler.ReduceLROnPlateau(optimizer))


def test_clipping_and_norms_are_recorded_per_step():
    model, optimizer, loader = _setup(lr=0.5)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=2, progress=False,
                  max_grad_norm=0.05)
    steps = history.steps
    assert len(steps["grad_norm"]) == len(steps["grad_norm_clipped"]) == 2 * len(loader)
    assert max(steps["grad_norm"]) > 0.05
    assert all(after <= 0.05 * (1 + 1e-5) for after in steps["grad_norm_clipped"])
    weights = np.sqrt(sum((p.array.astype("float64") ** 2).sum() for p in model.parameters()))
    assert steps["weight_norm"][-1] == pytest.approx(weights, rel=1e-5)

    model, optimizer, loader = _setup()
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, progress=False,
                  clip_value=1e-3, norm_type="inf")
    assert all(after <= np.float32(1e-3) for after in history.steps["grad_norm_clipped"])


def test_scaler_records_its_scale_and_float32_training_still_works_with_it():
    model, optimizer, loader = _setup()
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=2, progress=False,
                  scaler=GradScaler(init_scale=1024.0))
    assert history.steps["loss_scale"] == [1024.0] * (2 * len(loader))
    assert history.steps["loss"][-1] < history.steps["loss"][0]


@pytest.mark.parametrize("kwargs, message", [
    (dict(scheduler_interval="step"), "scheduler_interval must be 'epoch' or 'batch'"),
    (dict(precision="int8"), "precision must be one of"),
])
def test_bad_fit_options_raise(kwargs, message):
    model, optimizer, loader = _setup()
    with pytest.raises(ValueError, match=message):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, progress=False, **kwargs)
