"""End-to-end training: the models a course trains reach the accuracy it promises.

Each test runs in seconds: small models, few epochs, fixed seeds.
"""
import math

import numpy as np
import pytest

import tinyopt
from tinyopt import data, nn, optim
from tinyopt.exercises.warmup import tiny_transformer
from tinyopt.train import History, evaluate, fit


def _loader(X, y, batch_size, shuffle=True, seed=0):
    return data.DataLoader(data.TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle,
                           seed=seed)


def test_mlp_on_two_moons_reaches_99_percent():
    tinyopt.manual_seed(0)
    X, y = data.make_moons(n_samples=1200, noise=0.1, seed=0)
    train, test = _loader(X[:1000], y[:1000], 32), _loader(X[1000:], y[1000:], 200, False)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 2))
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs=30, val_loader=test,
                  progress=False)
    assert history.epochs["val_accuracy"][-1] >= 0.99
    assert len(history.steps["loss"]) == 30 * len(train)


def _standardized_digits(flatten=True):
    """The digits split, each pixel standardised with the training set's statistics."""
    X_train, y_train, X_test, y_test = data.load_digits(seed=0, flatten=flatten)
    mean, std = X_train.array.mean(axis=0), X_train.array.std(axis=0) + 0.1
    return (tinyopt.Tensor((X_train.array - mean) / std), y_train,
            tinyopt.Tensor((X_test.array - mean) / std), y_test)


def test_mlp_on_digits_reaches_97_percent():
    pytest.importorskip("sklearn")
    tinyopt.manual_seed(0)
    X_train, y_train, X_test, y_test = _standardized_digits()
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    fit(model, nn.CrossEntropyLoss(label_smoothing=0.1), optimizer,
        _loader(X_train, y_train, 32), epochs=20, progress=False)
    result = evaluate(model, nn.CrossEntropyLoss(), _loader(X_test, y_test, 256, False))
    assert result["accuracy"] >= 0.97


def test_small_cnn_on_digits_reaches_97_percent():
    pytest.importorskip("sklearn")
    tinyopt.manual_seed(0)
    X_train, y_train, X_test, y_test = data.load_digits(seed=0, flatten=False)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 32 x 2 x 2
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10))
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    fit(model, nn.CrossEntropyLoss(), optimizer, _loader(X_train, y_train, 32), epochs=15,
        progress=False)
    result = evaluate(model, nn.CrossEntropyLoss(), _loader(X_test, y_test, 256, False))
    assert result["accuracy"] >= 0.97


def test_attention_model_beats_unigram_entropy():
    tinyopt.manual_seed(0)
    block = 16
    X, Y, vocab = data.make_char_dataset(block_size=block, stride=4)
    model = tiny_transformer(vocab.vocab_size, block, width=32)  # one causal block
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    loader = _loader(X, Y, 32)

    def loss_fn(logits, target):
        return nn.functional.cross_entropy(logits.reshape(-1, vocab.vocab_size),
                                           target.reshape(-1))

    history = fit(model, loss_fn, optimizer, loader, epochs=4, progress=False)
    entropy = data.unigram_entropy()
    final = float(np.mean(history.steps["loss"][-20:]))
    assert history.steps["loss"][0] > entropy      # starts near log(vocab) > unigram
    assert final < entropy - 0.3                   # learnt more than letter frequencies


def test_rnn_and_lstm_learn_the_sum_task():
    tinyopt.manual_seed(0)
    X, y = data.make_sequence_task(n_samples=512, seq_len=8, task="sum", seed=0)

    class Regressor(nn.Module):
        def __init__(self, cell):
            super().__init__()
            self.rnn = cell(1, 16, batch_first=True)
            self.head = nn.Linear(16, 1)

        def forward(self, x):
            output = self.rnn(x)[0]
            return self.head(output[:, -1])

    for cell in (nn.RNN, nn.LSTM):
        model = Regressor(cell)
        optimizer = optim.Adam(model.parameters(), lr=1e-2)
        loss_fn = nn.MSELoss()
        start = evaluate(model, loss_fn, _loader(X, y, 512, False))["loss"]
        fit(model, loss_fn, optimizer, _loader(X, y, 32), epochs=8, progress=False)
        end = evaluate(model, loss_fn, _loader(X, y, 512, False))["loss"]
        assert end < 0.1 * start, cell.__name__


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_fit_stops_on_non_finite_loss_and_validates_epochs():
    X, y = data.make_regression(n_samples=64, seed=0)
    model = nn.Linear(1, 1)
    optimizer = optim.SGD(model.parameters(), lr=1e10)
    with pytest.raises(FloatingPointError, match="learning rate"):
        fit(model, nn.MSELoss(), optimizer, _loader(X, y, 8), epochs=50, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, nn.MSELoss(), optimizer, _loader(X, y, 8), epochs=0)


def test_history_records_steps_and_epochs():
    X, y = data.make_moons(n_samples=64, seed=0)
    model = nn.Linear(2, 2)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                  _loader(X, y, 16), epochs=3, val_loader=_loader(X, y, 64, False),
                  progress=False)
    assert isinstance(history, History)
    assert len(history.steps["loss"]) == 12
    assert history.epochs["epoch"] == [0, 1, 2]
    assert set(history.epochs) >= {"train_loss", "val_loss", "val_accuracy", "time"}
    assert all(math.isfinite(v) for v in history.steps["loss"])
    assert history.to_dict()["epochs"]["epoch"] == [0, 1, 2]
