"""No silent wrong results: Adafactor's zero rows and columns, Rprop's NaN gradients, ``fit``
on an empty loader, and an EMA state that fails to load."""
import numpy as np
import pytest

import tinyopt
from tinyopt import data, nn, optim
from tinyopt.optim.swa_utils import EMA
from tinyopt.train import fit

EXECUTORS = ["numpy", "numba"]


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adafactor_stays_finite_where_a_gradient_row_and_column_are_zero(executor, dtype):
    """The issue's case: v̂ = R Cᵀ / mean(R) underflows to 0 in float32 at the zero row and
    column; Hugging Face's factored reciprocal roots (each about 1e15) stay finite."""
    w = nn.Parameter(np.ones((2, 2), dtype))
    w.grad = np.array([[1, 0], [0, 0]], dtype)
    optimizer = optim.Adafactor([w])
    optimizer.executor = executor
    optimizer.step()
    assert np.isfinite(w.array).all(), w.array
    np.testing.assert_array_equal(w.array[1], [1, 1])  # zero gradient: no move
    assert w.array[0, 0] < 1 and w.array[0, 1] == 1


def test_adafactor_zero_rows_match_hugging_faces_reference_in_float32():
    torch = pytest.importorskip("torch")
    from test_optim_modern_reference import HFAdafactor
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((3, 4, 5)).astype(np.float32)
    grads[:, 1, :] = 0
    grads[:, :, 2] = 0
    w = nn.Parameter(np.ones((4, 5), np.float32))
    reference = torch.ones((4, 5), dtype=torch.float32, requires_grad=True)
    ours, theirs = optim.Adafactor([w]), HFAdafactor([reference])
    for grad in grads:
        w.grad = grad
        ours.step()
        reference.grad = torch.from_numpy(grad.copy())
        theirs.step()
    assert np.isfinite(w.array).all()
    np.testing.assert_allclose(w.array, reference.detach().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("foreach", [False, True])
def test_rprop_with_nan_and_inf_gradients_matches_torch_exactly(executor, foreach):
    """torch's sign is 0 for NaN: the coordinate keeps its step size and does not move."""
    torch = pytest.importorskip("torch")
    nan, inf = float("nan"), float("inf")
    grads = [[1.0, nan, -1.0, inf, 0.5], [1.0, 1.0, nan, 1.0, -inf], [1.0, 1.0, 1.0, nan, 2.0],
             [-1.0, 2.0, 1.0, 1.0, 1.0]]
    start = [1.0, 2.0, 3.0, 4.0, 5.0]
    w = nn.Parameter(np.array(start))
    reference = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    ours = optim.Rprop([w], lr=0.01)
    ours.executor = executor
    theirs = torch.optim.Rprop([reference], lr=0.01, foreach=foreach)
    for grad in grads:
        w.grad = np.array(grad)
        with np.errstate(invalid="ignore"):  # inf · 0 in the sign product, as in torch
            ours.step()
        reference.grad = torch.tensor(grad, dtype=torch.float64)
        theirs.step()
        np.testing.assert_array_equal(w.array, reference.detach().numpy())
        for name in ("prev", "step_size"):
            np.testing.assert_array_equal(ours.state[w][name], theirs.state[reference][name])
    assert np.isfinite(w.array).all()


@pytest.mark.parametrize("samples, drop_last", [(0, False), (5, True)])
def test_fit_on_an_empty_loader_raises_before_training(samples, drop_last):
    model = nn.Linear(2, 2)
    weights = model.weight.array.copy()
    dataset = data.TensorDataset(np.zeros((samples, 2)), np.zeros(samples, np.int64))
    loader = data.DataLoader(dataset, batch_size=8, drop_last=drop_last)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=rf"train_loader has no batches \({samples} samples, "
                                         rf"batch_size=8, drop_last={drop_last}\)"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, progress=False)
    np.testing.assert_array_equal(model.weight.array, weights)


def test_fit_refuses_an_empty_validation_loader_before_training():
    model = nn.Linear(2, 2)
    weights = model.weight.array.copy()
    train = data.DataLoader(data.TensorDataset(np.zeros((4, 2)), np.zeros(4, np.int64)),
                            batch_size=2)
    empty = data.DataLoader(data.TensorDataset(np.zeros((0, 2)), np.zeros(0, np.int64)))
    with pytest.raises(ValueError, match="val_loader has no batches"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train,
            val_loader=empty, progress=False)
    np.testing.assert_array_equal(model.weight.array, weights)


def test_fit_refuses_a_loader_that_yields_nothing_despite_its_length():
    class Liar:
        def __len__(self):
            return 3

        def __iter__(self):
            return iter(())

    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="yielded no samples in epoch 0"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), Liar(),
            progress=False)


def _ema():
    tinyopt.manual_seed(0)
    model = nn.Linear(3, 2)
    ema = EMA(model, decay=0.9)
    for _ in range(2):
        model.weight.array += 1
        ema.update()
    return ema


@pytest.mark.parametrize("change, error, message", [
    ({"decay": 1.5}, ValueError, r"decay must be in \[0, 1\], got 1.5"),
    ({"decay": None}, TypeError, "decay must be a number in"),
    ({"decay": "abc"}, TypeError, "decay must be a number in"),
    ({"decay": float("nan")}, ValueError, "decay must be in"),
    ({"num_updates": -1}, ValueError, "num_updates must be an int >= 0"),
    ({"num_updates": "abc"}, ValueError, "num_updates must be an int >= 0"),
    ({"shadow": [np.zeros((2, 3))]}, ValueError, "EMA state holds shapes"),
    ({"shadow": [np.full((2, 3), "x"), np.zeros(2)]}, TypeError, "float arrays"),
    ({"shadow": None}, TypeError, "shadow must be a list of arrays, got NoneType"),
])
def test_ema_load_state_dict_that_fails_changes_nothing(change, error, message):
    ema, source = _ema(), _ema()
    state = source.state_dict()
    state["shadow"] = [a + 1 for a in state["shadow"]]
    state.update(change)
    before = ema.state_dict()
    with pytest.raises(error, match=message):
        ema.load_state_dict(state)
    after = ema.state_dict()
    assert (after["decay"], after["num_updates"]) == (before["decay"], before["num_updates"])
    for mine, saved in zip(after["shadow"], before["shadow"]):
        np.testing.assert_array_equal(mine, saved)
    ema.update()  # still works with the old decay
    expected = 0.9 * before["shadow"][0] + 0.1 * ema.model.weight.array
    np.testing.assert_allclose(ema.shadow[0], expected, rtol=1e-6)


def test_ema_missing_keys_are_named():
    ema = _ema()
    with pytest.raises(ValueError, match=r"EMA state lacks \['num_updates'\]"):
        ema.load_state_dict({"decay": 0.5, "shadow": []})
