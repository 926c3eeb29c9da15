"""Weight averaging: AveragedModel (SWA and EMA) against torch.optim.swa_utils, the EMA
helper, and update_bn."""
import numpy as np
import pytest

import tinyopt
from tinyopt import backend, nn
from tinyopt.optim import EMA, AveragedModel, update_bn
from tinyopt.optim.swa_utils import get_ema_avg_fn, get_ema_multi_avg_fn

torch = pytest.importorskip("torch")
swa_utils = torch.optim.swa_utils


def _snapshots(count=12):
    rng = np.random.default_rng(0)
    return [[rng.standard_normal((3, 2)), rng.standard_normal(3)] for _ in range(count)]


def _load(model, arrays):
    for param, array in zip(model.parameters(), arrays):
        param.array[...] = array


@pytest.mark.parametrize("kind", ["swa", "ema", "ema-avg_fn"])
def test_averaged_model_matches_torch(kind):
    with backend.default_dtype_as("float64"):
        model = nn.Linear(2, 3)
    reference = torch.nn.Linear(2, 3).double()
    options = {"swa": ({}, {}),
               "ema": ({"multi_avg_fn": get_ema_multi_avg_fn(0.9)},
                       {"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.9)}),
               "ema-avg_fn": ({"avg_fn": get_ema_avg_fn(0.8)},
                              {"avg_fn": swa_utils.get_ema_avg_fn(0.8)})}[kind]
    averaged, torch_averaged = AveragedModel(model, **options[0]), \
        swa_utils.AveragedModel(reference, **options[1])
    for arrays in _snapshots():
        _load(model, arrays)
        with torch.no_grad():
            for param, array in zip(reference.parameters(), arrays):
                param.copy_(torch.tensor(array))
        averaged.update_parameters(model)
        torch_averaged.update_parameters(reference)
    for mine, theirs in zip(averaged.parameters(), torch_averaged.module.parameters()):
        np.testing.assert_allclose(mine.array, theirs.detach().numpy(), rtol=1e-13, atol=1e-15)
    assert int(averaged.n_averaged.array) == 12
    x = tinyopt.Tensor(np.ones((1, 2)))
    np.testing.assert_allclose(averaged(x).array, averaged.module(x).array)


def test_swa_is_the_mean_of_the_snapshots():
    with backend.default_dtype_as("float64"):
        model = nn.Linear(2, 3)
    averaged = AveragedModel(model)
    snapshots = _snapshots(5)
    for arrays in snapshots:
        _load(model, arrays)
        averaged.update_parameters(model)
    np.testing.assert_allclose(averaged.module.weight.array,
                               np.mean([s[0] for s in snapshots], axis=0), rtol=1e-14)


def test_ema_helper_swaps_averages_in_and_back():
    with backend.default_dtype_as("float64"):
        model = nn.Linear(2, 3)
    reference = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    reference.update_parameters(model)                   # both start from the same weights
    ema = EMA(model, decay=0.9)
    for arrays in _snapshots():
        _load(model, arrays)
        ema.update()
        reference.update_parameters(model)
    trained = model.weight.array.copy()
    with ema.average_parameters():
        np.testing.assert_array_equal(model.weight.array, reference.module.weight.array)
    np.testing.assert_array_equal(model.weight.array, trained)
    restored = EMA(model, decay=0.5)
    restored.load_state_dict(ema.state_dict())
    assert restored.decay == 0.9 and restored.num_updates == 12
    with pytest.raises(ValueError, match="decay must be in"):
        EMA(model, decay=1.5)


def test_update_bn_recomputes_equal_weight_statistics():
    tinyopt.manual_seed(0)
    model = nn.Sequential(nn.BatchNorm1d(3), nn.Linear(3, 1))
    X = np.random.default_rng(0).standard_normal((40, 3)).astype("float32") * 2 + 1
    batches = [(tinyopt.Tensor(X[i:i + 10]), None) for i in range(0, 40, 10)]
    model.eval()
    update_bn(batches, model)
    batch_norm = model[0]
    np.testing.assert_allclose(batch_norm.running_mean.array, X.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(batch_norm.running_var.array,
                               np.mean([X[i:i + 10].var(axis=0, ddof=1) for i in range(0, 40, 10)],
                                       axis=0), rtol=1e-5)
    assert batch_norm.momentum == 0.1 and not model.training
