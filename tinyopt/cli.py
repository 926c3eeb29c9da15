"""The ``tinyopt`` command line.

    tinyopt train         train a small MLP on built-in data; write curves and a checkpoint
    tinyopt bench train   one epoch of the same MLP in tinyopt and PyTorch, and the ratio
    tinyopt bench step    one optimizer step: numpy vs numba vs PyTorch, against bandwidth probes

Bad flags and impossible values exit non-zero with a one-line message.
"""
import argparse
import json
import sys
from pathlib import Path

DATASETS = ("moons", "spirals", "circles", "blobs", "digits")


def _positive_int(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive int, got {text}")
    return value


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def build_parser():
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="tinyopt", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    train = commands.add_parser("train", help="train a small MLP on built-in data")
    train.add_argument("--dataset", choices=DATASETS, default="moons",
                       help="built-in data set (default moons; digits needs scikit-learn)")
    train.add_argument("--epochs", type=_positive_int, default=30, help="epochs (default 30)")
    train.add_argument("--lr", type=_positive_float, default=0.1, help="SGD learning rate")
    train.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default 0.9)")
    train.add_argument("--batch-size", type=_positive_int, default=32, help="default 32")
    train.add_argument("--hidden", type=_positive_int, default=64, help="hidden width")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--out", type=Path, default=Path("tinyopt-output/train"),
                       help="output folder (default tinyopt-output/train)")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    bench = commands.add_parser("bench", help="benchmarks with a reference in the same run")
    suites = bench.add_subparsers(dest="suite", metavar="SUITE")
    suites.required = True
    from .bench import train as bench_train
    bench_train.add_arguments(suites.add_parser("train", help="one MLP epoch vs PyTorch"))
    from .bench import step as bench_step
    bench_step.add_arguments(suites.add_parser("step", help="one optimizer step vs PyTorch"))
    return parser


def _load(dataset, seed):
    from . import data
    if dataset == "digits":
        X_train, y_train, X_test, y_test = data.load_digits(seed=seed)
        return X_train, y_train, X_test, y_test, 10
    makers = {"moons": data.make_moons, "spirals": data.make_spirals,
              "circles": data.make_circles, "blobs": data.make_blobs}
    X, y = makers[dataset](n_samples=1000, seed=seed)
    split = 800
    classes = int(y.numpy().max()) + 1
    return X[:split], y[:split], X[split:], y[split:], classes


def command_train(args):
    """Train, evaluate, and write history.json, loss.png and model.npz into ``args.out``."""
    import numpy
    import tinyopt
    from tinyopt import data, nn, optim
    from tinyopt.train import fit

    tinyopt.manual_seed(args.seed)
    X_train, y_train, X_test, y_test, classes = _load(args.dataset, args.seed)
    model = nn.Sequential(nn.Linear(X_train.shape[1], args.hidden), nn.ReLU(),
                          nn.Linear(args.hidden, args.hidden), nn.ReLU(),
                          nn.Linear(args.hidden, classes))
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    train_loader = data.DataLoader(data.TensorDataset(X_train, y_train),
                                   batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test_loader = data.DataLoader(data.TensorDataset(X_test, y_test), batch_size=256)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, epochs=args.epochs,
                  val_loader=test_loader, progress=False if args.no_progress else None)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "history.json").write_text(json.dumps(history.to_dict(), indent=1))
    numpy.savez(args.out / "model.npz", **{k: tinyopt.backend.to_host(v)
                                           for k, v in model.state_dict().items()})
    _plot_loss(history, args.out / "loss.png")
    accuracy = history.epochs["val_accuracy"][-1]
    print(f"{args.dataset}: test accuracy {accuracy:.3f}, final train loss "
          f"{history.epochs['train_loss'][-1]:.4f} after {args.epochs} epochs")
    print(f"wrote {args.out}/history.json, loss.png, model.npz")


def _plot_loss(history, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, axis = plt.subplots(figsize=(6, 4))
    axis.plot(history.steps["loss"], linewidth=1)
    axis.set_xlabel("step")
    axis.set_ylabel("training loss")
    axis.set_yscale("log")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv=None):
    """Entry point of the ``tinyopt`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            command_train(args)
        elif args.command == "bench" and args.suite == "step":
            from .bench import step as bench_step
            bench_step.main(args)
        elif args.command == "bench":
            from .bench import train as bench_train
            bench_train.main(args)
    except (ImportError, ValueError) as error:
        print(f"tinyopt {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
