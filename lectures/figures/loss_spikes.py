"""Deck 002: a linear model on the 8x8 digits at three learning rates — at the largest the
loss spikes, and the update ratio ‖ΔW‖/‖W‖ shows why: the steps are as large as the weights."""
import tinyopt
from tinyopt import data, nn, optim
from tinyopt.train import fit
from tinyopt.viz import new_figure
from tinyopt.viz.style import color, lecture_style, log_scale


def make(fast=False):
    X, y, _, _ = data.load_digits(seed=0)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=64, shuffle=True, seed=0)
    with lecture_style():
        figure, (loss_axis, ratio_axis) = new_figure(1, 2, panel_size=(7.0, 4.8))
        for index, lr in enumerate((0.1, 2.0, 30.0)):
            tinyopt.manual_seed(0)
            model = nn.Linear(64, 10)
            history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr),
                          loader, epochs=1 if fast else 4, progress=False,
                          record=["update_ratio"])
            loss_axis.plot(history.steps["loss"], color=color(index), label=f"lr {lr:g}")
            ratio_axis.plot(history.layers["update_ratio/weight"], color=color(index))
        ratio_axis.axhline(1e-3, color="black", linestyle=":", label="rule of thumb 1e-3")
        loss_axis.set(xlabel="step", ylabel="training loss", title="Loss")
        ratio_axis.set(xlabel="step", title="Update ratio ‖ΔW‖ / ‖W‖")
        log_scale(loss_axis)
        ratio_axis.set_yscale("log")
        handles, labels = loss_axis.get_legend_handles_labels()
        figure.legend(handles + ratio_axis.lines[-1:], labels + ["rule of thumb 1e-3"],
                      loc="outside lower center", ncols=4)
        figure.suptitle("Linear model on the 8x8 digits, SGD")
    return figure
