"""Deck 002, "Different learning rate per layer": with one rate for all, the hidden layers of a
5-layer net (PyTorch's default init) take steps ‖Δw‖/‖w‖ four times smaller than the last and
barely learn; parameter groups with rates set by hand from that first run (lr × the fastest
layer's ratio / the layer's ratio) bring every layer up to the same pace, and it trains."""
import numpy
from _digits import deep_mlp, loaders
from tinyopt import nn, optim
from tinyopt.train import fit
from tinyopt.viz import new_figure
from tinyopt.viz.style import color, lecture_style, line_style, log_scale


def make(fast=False, lr=0.01):
    train, _ = loaders()
    with lecture_style():
        figure, axes = new_figure(1, 3, panel_size=(5.6, 4.8))
        rates = [lr] * 5
        for run, title in enumerate((f"one lr {lr:g}", "one group per layer")):
            model = deep_mlp(5, he_init=False)
            groups = [{"params": list(layer.parameters()), "lr": rate} for layer, rate in
                      zip([m for m in model.modules() if isinstance(m, nn.Linear)], rates)]
            history = fit(model, nn.CrossEntropyLoss(), optim.SGD(groups, lr=lr, momentum=0.9),
                          train, epochs=2 if fast else 6, progress=False, record=["update_ratio"])
            ratios = [history.layers[f"update_ratio/{2 * i}.weight"] for i in range(5)]
            for i, ratio in enumerate(ratios):
                axes[run].plot(ratio, color=color(i), linestyle=line_style(i),
                               label=f"layer {i + 1}: lr {rates[i]:.2g}")
            axes[run].set(yscale="log", xlabel="step", ylabel="‖Δw‖ / ‖w‖", title=title)
            axes[run].legend(fontsize=11, loc="lower left", ncols=2)
            axes[2].plot(history.steps["loss"], color=color(run), label=title)
            medians = [float(numpy.median(ratio)) for ratio in ratios]
            print(title, "median update ratios", ", ".join(f"{m:.2g}" for m in medians))
            rates = [lr * max(medians) / median for median in medians]
        axes[2].set(xlabel="step", ylabel="training loss", title="Loss")
        log_scale(axes[2])
        axes[2].legend()
        figure.suptitle("8x8 digits, 5 layers, SGD with momentum 0.9")
    return figure
