"""Deck 001, "Weight decay" and "AdamW": the weight norm ‖θ‖ without decay, with λ/2 ‖θ‖² in
the loss, and with the decay in the optimizer. For SGD the two are one update (the deck's
``lr * (grad + wd * param)`` = ``lr * grad + lr * wd * param``); for Adam they are not: the
penalty's gradient λθ goes through 1/√v and pulls hard, AdamW's decoupled lr·λ·θ gently."""
from _digits import deep_mlp, loaders
from tinyopt import nn, optim
from tinyopt.train import fit
from tinyopt.viz import new_figure
from tinyopt.viz.style import color, lecture_style, line_style

RUNS = {"SGD, lr 0.1, λ 0.01": (optim.SGD, 0.1, 0.01, "weight_decay in SGD"),
        "Adam, lr 0.001, λ 0.1": (optim.AdamW, 1e-3, 0.1, "decoupled (AdamW)")}


def make(fast=False):
    train, test = loaders()
    cross_entropy = nn.CrossEntropyLoss()
    with lecture_style():
        figure, axes = new_figure(1, 2, panel_size=(7.0, 5.0))
        for axis, (title, (cls, lr, decay, in_optimizer)) in zip(axes, RUNS.items()):
            for index, how in enumerate(("no decay", "λ/2 ‖θ‖² in the loss", in_optimizer)):
                model = deep_mlp(3)
                params, penalty = list(model.parameters()), decay / 2 if index == 1 else 0.0
                optimizer = cls(params, lr=lr, weight_decay=decay if index == 2 else 0.0)
                history = fit(model, lambda out, y, c=penalty: cross_entropy(out, y) + c * sum(
                              (p * p).sum() for p in params), optimizer, train,
                              epochs=2 if fast else 20, val_loader=test, progress=False)
                norms, accuracy = history.steps["weight_norm"], history.epochs["val_accuracy"]
                print(f"{title}, {how}: ‖θ‖ {norms[0]:.3g} -> {norms[-1]:.4g}, "
                      f"test accuracy {100 * accuracy[-1]:.1f} %")
                axis.plot(norms, color=color(index), linestyle=line_style(index),
                          label=f"{how}: {100 * accuracy[-1]:.0f} %")
            axis.set(xlabel="step", ylabel="weight norm ‖θ‖", title=title)
            axis.legend(title="test accuracy", fontsize=12)
        figure.suptitle("8x8 digits, 3-layer MLP: where the weight decay goes")
    return figure
