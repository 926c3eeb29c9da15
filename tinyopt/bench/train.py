"""Benchmark: one training epoch of the same MLP in tinyopt and in PyTorch.

Both train a 64-256-256-10 ReLU MLP with SGD (momentum 0.9) and cross-entropy
on the 8x8 digits (or a synthetic set of the same size when scikit-learn is
missing), float32, on the same mini-batches. The figure of merit is the
ratio of median epoch times, tinyopt / PyTorch.

Run it with ``tinyopt bench train`` or ``python -m tinyopt.bench.train``.
"""
import argparse
import json
import statistics
import time

import numpy


def _dataset(samples):
    """(X, y) float32/int64 host arrays: the digits when available, else blobs."""
    try:
        from ..data import load_digits
        X, y, _, _ = load_digits(test_fraction=0.2, seed=0)
        source = "digits"
    except ImportError:
        from ..data import make_blobs
        X, y = make_blobs(n_samples=1437, centers=10, n_features=64, seed=0)
        source = "blobs"
    X, y = X.numpy().astype(numpy.float32), y.numpy().astype(numpy.int64)
    if samples:
        X, y = X[:samples], y[:samples]
    return X, y, source


def _batches(n, batch_size, seed):
    order = numpy.random.default_rng(seed).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def time_tinyopt(X, y, hidden, batch_size, epochs, seed=0):
    """Seconds per epoch (one float per epoch) for tinyopt."""
    import tinyopt
    from tinyopt import nn, optim
    tinyopt.manual_seed(seed)
    model = nn.Sequential(nn.Linear(X.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                          nn.ReLU(), nn.Linear(hidden, 10))
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for epoch in range(epochs):
        start = time.perf_counter()
        for index in _batches(len(X), batch_size, epoch):
            inputs, target = tinyopt.Tensor(X[index]), tinyopt.Tensor(y[index])
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), target)
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    return times, loss.item()


def time_torch(X, y, hidden, batch_size, epochs, seed=0):
    """Seconds per epoch for PyTorch on the same batches, or None without torch."""
    try:
        import torch
    except ImportError:
        return None, None
    torch.manual_seed(seed)
    nn = torch.nn
    model = nn.Sequential(nn.Linear(X.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                          nn.ReLU(), nn.Linear(hidden, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    times = []
    for epoch in range(epochs):
        start = time.perf_counter()
        for index in _batches(len(X), batch_size, epoch):
            index = torch.from_numpy(index)
            optimizer.zero_grad()
            loss = loss_fn(model(X_t[index]), y_t[index])
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    return times, loss.item()


def run(hidden=256, batch_size=32, epochs=5, samples=None):
    """Time both libraries (first epoch is warm-up) and return a result dict."""
    X, y, source = _dataset(samples)
    ours, our_loss = time_tinyopt(X, y, hidden, batch_size, epochs + 1)
    theirs, their_loss = time_torch(X, y, hidden, batch_size, epochs + 1)
    result = {"dataset": source, "samples": len(X), "hidden": hidden, "batch_size": batch_size,
              "epochs_timed": epochs, "tinyopt_ms_per_epoch": 1e3 * statistics.median(ours[1:]),
              "tinyopt_final_loss": our_loss}
    if theirs is not None:
        result["torch_ms_per_epoch"] = 1e3 * statistics.median(theirs[1:])
        result["torch_final_loss"] = their_loss
        result["ratio_tinyopt_over_torch"] = (result["tinyopt_ms_per_epoch"]
                                              / result["torch_ms_per_epoch"])
    return result


def add_arguments(parser):
    """The command-line options of this benchmark (counts are positive ints: else exit 2)."""
    from ..cli.common import positive_int
    parser.add_argument("--hidden", type=positive_int, default=256,
                        help="hidden width (default 256)")
    parser.add_argument("--batch-size", type=positive_int, default=32,
                        help="batch size (default 32)")
    parser.add_argument("--epochs", type=positive_int, default=5,
                        help="timed epochs (default 5)")
    parser.add_argument("--samples", type=positive_int, default=None,
                        help="use only this many samples")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def main(args):
    """Run the benchmark with parsed ``args`` and print a table (or JSON)."""
    result = run(args.hidden, args.batch_size, args.epochs, args.samples)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"one epoch, {result['samples']} samples of {result['dataset']}, MLP 64-"
          f"{args.hidden}-{args.hidden}-10, batch {args.batch_size}, SGD momentum, float32")
    print(f"  tinyopt  {result['tinyopt_ms_per_epoch']:8.1f} ms/epoch")
    if "torch_ms_per_epoch" in result:
        print(f"  pytorch  {result['torch_ms_per_epoch']:8.1f} ms/epoch")
        print(f"  ratio tinyopt / pytorch = {result['ratio_tinyopt_over_torch']:.2f}x")
    else:
        print("  pytorch  not installed (pip install 'tinyopt[torch]') - no ratio")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    main(parser.parse_args())
