"""The 8x8 digits (scikit-learn's small MNIST) and the models the deck-002 figures train."""
import tinyopt
from tinyopt import data, nn


def loaders(batch_size=64, seed=0):
    """``(train, test)`` loaders of the digits: 1438 shuffled training images, 359 to test."""
    X, y, X_test, y_test = data.load_digits(seed=seed)
    train = data.DataLoader(data.TensorDataset(X, y), batch_size=batch_size, shuffle=True,
                            seed=seed)
    return train, data.DataLoader(data.TensorDataset(X_test, y_test), batch_size=512)


def deep_mlp(depth, width=64, seed=0, he_init=True):
    """``depth`` Linear layers (ReLU between) from 64 pixels to 10 classes; ``depth=1`` is the
    linear model. ``he_init``: He-initialised weights, so that the signal neither fades nor
    grows with depth (else PyTorch's default, under which it fades)."""
    tinyopt.manual_seed(seed)
    sizes = [64] + [width] * (depth - 1) + [10]
    layers = []
    for inputs, outputs in zip(sizes, sizes[1:]):
        layers += [nn.Linear(inputs, outputs), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    for layer in layers[:-1:2]:
        if depth > 1 and he_init:
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
    return model
