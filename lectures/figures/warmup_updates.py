"""Deck 002: why warmup — Adam's first updates are large compared with the weights
(‖Δw‖/‖w‖ per layer); a linear warmup over the first steps keeps them small."""
import tinyopt
from tinyopt import data, nn, optim
from tinyopt.optim.lr_scheduler import LinearLR
from tinyopt.train import fit
from tinyopt.viz import new_figure
from tinyopt.viz.style import color, lecture_style, line_style


def make(fast=False):
    X, y = data.make_spirals(n_samples=512, seed=0)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=32, shuffle=True, seed=0)
    with lecture_style():
        figure, axes = new_figure(1, 2, panel_size=(7.0, 4.8), sharey=True)
        for axis, warmup in zip(axes, (0, 50)):
            tinyopt.manual_seed(0)
            model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                                  nn.Linear(64, 3))
            optimizer = optim.Adam(model.parameters(), lr=0.01)
            scheduler = LinearLR(optimizer, 0.02, 1.0, warmup) if warmup else None
            history = fit(model, nn.CrossEntropyLoss(), optimizer, loader,
                          epochs=2 if fast else 6, progress=False, scheduler=scheduler,
                          scheduler_interval="batch", record=["update_ratio"])
            for index, name in enumerate(("0.weight", "2.weight", "4.weight")):
                axis.plot(history.layers[f"update_ratio/{name}"], color=color(index),
                          linestyle=line_style(index), label=name)
            axis.axhline(1e-3, color="black", linestyle=":")
            axis.set(yscale="log", xlabel="step",
                     title=f"Adam, lr 0.01, {warmup} warmup steps" if warmup else
                     "Adam, lr 0.01, no warmup")
        axes[0].set_ylabel("‖Δw‖ / ‖w‖")
        figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center",
                      ncols=3)
    return figure
