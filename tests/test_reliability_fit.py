"""Issue 12, item 6 (fit's half): a diverging run is reported one step earlier, saying what was checked."""
import numpy as np
import pytest

import tinyopt
from tinyopt import nn, optim
from tinyopt.data import DataLoader, TensorDataset
from tinyopt.train import fit


def _setup(X, lr):
    tinyopt.manual_seed(0)
    y = tinyopt.from_numpy(np.arange(len(X)) % 2)
    loader = DataLoader(TensorDataset(tinyopt.from_numpy(X), y), batch_size=8)
    model = nn.Sequential(nn.Linear(X.shape[1], 8), nn.ReLU(), nn.Linear(8, 2)).double()
    return model, optim.SGD(model.parameters(), lr=lr), loader


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf * 0 in the gradients, on purpose
def test_an_inf_gradient_stops_training_before_the_update_with_finite_weights():
    X = np.random.default_rng(0).standard_normal((32, 3))
    model, optimizer, loader = _setup(X, 0.1)
    with tinyopt.no_grad():
        model[2].weight.zero_()
        model[2].bias.zero_()  # the output is exactly 0, where sqrt's derivative is inf

    def sqrt_loss(output, target):
        return output.abs().sqrt().mean()  # finite (0), its gradient is not

    with pytest.raises(FloatingPointError, match=r"the gradient norm became (inf|nan) at step 0, "
                                                 r"before the update \(the loss was 0"):
        fit(model, sqrt_loss, optimizer, loader, epochs=1, progress=False)
    assert all(np.isfinite(p.detach().numpy()).all() for p in model.parameters())


def test_a_nan_input_is_named_as_the_cause():
    X = np.random.default_rng(0).standard_normal((32, 3))
    X[3, 1] = np.nan
    model, optimizer, loader = _setup(X, 0.1)
    with pytest.raises(FloatingPointError, match="checked the inputs: this batch holds inf/NaN"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=1, progress=False)


def test_nan_weights_are_named_as_the_cause():
    X = np.random.default_rng(0).standard_normal((32, 3))
    model, optimizer, loader = _setup(X, 0.1)
    model[2].bias.data.fill_(float("nan"))
    with pytest.raises(FloatingPointError, match=r"checked the weights: 2\.bias holds inf/NaN"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=1, progress=False)
