"""Layer dynamics: what the optimizer does to each layer, from a ``Recorder``'s records.

One panel per recorded statistic, one line per named parameter, log axes:
the update ratio ‖Δw‖/‖w‖ with the 1e-3 rule-of-thumb guide line (a layer far
above it takes steps as large as its weights, far below it barely learns),
the gradient, weight and update norms, the learning rate, and Adam's
effective per-coordinate rates (median bold, maximum faint). Loss spikes
found by a ``SpikeDetector`` are marked in every panel.

Example::

    >>> history = fit(model, loss_fn, optimizer, loader, record=["update_ratio", "grad_norm"])
    >>> figure = plot_layer_dynamics(history, title="SGD, lr 0.1")
"""
import numpy

from .style import color, lecture_style, line_style, new_figure

PANELS = {"update_ratio": "update ratio ‖Δw‖ / ‖w‖", "grad_norm": "gradient norm ‖g‖",
          "weight_norm": "weight norm ‖w‖", "update_norm": "update norm ‖Δw‖",
          "lr": "learning rate", "effective_lr": "effective rate lr / (√v̂ + ε)"}
"""Statistic -> panel title, in the order the panels are drawn."""


def _layers(history):
    return history["layers"] if isinstance(history, dict) else history.layers


def _spikes(history):
    return history.get("spikes", []) if isinstance(history, dict) else history.spikes


def plot_layer_dynamics(history, stats=None, parameters=None, guide=1e-3, title=None,
                        columns=2):
    """Draw a history's per-layer records; returns the matplotlib Figure.

    Args:
        history: a ``History`` (or its ``to_dict()``) of ``fit(..., record=[...])``.
        stats: the statistics to draw, from ``PANELS`` (default: every one recorded).
        parameters: the parameter names to draw (default: all recorded), e.g. only
            the weights, ``["0.weight", "2.weight"]``.
        guide: the update ratio's guide line (default 1e-3), None for none.
        title: an optional figure title.
        columns: panels per row.
    """
    layers = _layers(history)
    if not layers or not layers.get("step"):
        raise ValueError("plot_layer_dynamics: the history has no layer records "
                         "(train with fit(..., record=[...]))")
    recorded = [s for s in PANELS if any(k.startswith(_prefix(s)) for k in layers)]
    stats = recorded if stats is None else list(stats)
    missing = [s for s in stats if s not in recorded]
    if missing or not stats:
        problem = f"{missing[0]!r} is not recorded" if missing else "is empty"
        raise ValueError(f"stats: {problem} (recorded: {', '.join(recorded)})")
    names = list(dict.fromkeys(k.partition("/")[2] for k in layers if "/" in k))
    parameters = names if parameters is None else list(parameters)
    unknown = [p for p in parameters if p not in names]
    if unknown:
        raise ValueError(f"parameters: {unknown[0]!r} is not recorded (recorded: "
                         f"{', '.join(names)})")
    steps = numpy.asarray(layers["step"]) + 1
    rows = -(-len(stats) // columns)
    with lecture_style():
        figure, axes = new_figure(rows, min(columns, len(stats)), panel_size=(7.0, 4.6))
        axes = numpy.atleast_2d(axes).reshape(rows, -1)
        for axis in axes.ravel()[len(stats):]:
            axis.set_visible(False)
        for axis, stat in zip(axes.ravel(), stats):
            for index, name in enumerate(parameters):
                style = {"color": color(index), "linestyle": line_style(index)}
                if stat == "effective_lr":
                    axis.plot(steps, layers[f"effective_lr_median/{name}"], label=name, **style)
                    axis.plot(steps, layers[f"effective_lr_max/{name}"], color=color(index),
                              linewidth=1, alpha=0.4)
                else:
                    axis.plot(steps, layers[f"{stat}/{name}"], label=name, **style)
            if stat == "update_ratio" and guide is not None:
                axis.axhline(guide, color="black", linestyle=":", linewidth=1.6,
                             label=f"rule of thumb {guide:g}")
            for spike in _spikes(history):
                axis.axvline(spike["step"] + 1, color="0.45", linestyle="--", linewidth=1.2)
            axis.set_yscale("log")
            axis.set_title(PANELS[stat] + (" (faint: max)" if stat == "effective_lr" else ""))
        for axis in axes.ravel()[max(0, len(stats) - axes.shape[1]):len(stats)]:
            axis.set_xlabel("step")  # the lowest panel of each column
        handles, labels = axes.ravel()[0].get_legend_handles_labels()
        if _spikes(history):
            handles.append(axes.ravel()[0].lines[-1])
            labels.append("loss spike")
        figure.legend(handles, labels, loc="outside lower center",
                      ncols=min(len(labels), 4))
        if title:
            figure.suptitle(title)
    return figure


def _prefix(stat):
    return "effective_lr_median/" if stat == "effective_lr" else f"{stat}/"


__all__ = ["plot_layer_dynamics", "PANELS"]
