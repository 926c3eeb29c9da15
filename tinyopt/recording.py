"""The ``Recorder``: what the optimizer does to each layer, step by step.

Per named parameter ``w`` (``model.named_parameters()``) and per recorded
step it keeps, as lists in ``history.layers`` under ``"STAT/NAME"`` keys
(``"update_ratio/0.weight"``), aligned with ``history.layers["step"]``:

    grad_norm      ‖g‖          the gradient the optimizer used (after unscaling and clipping)
    weight_norm    ‖w‖          the weights the step was applied to (before the step)
    update_norm    ‖Δw‖         Δw = w_after - w_before
    update_ratio   ‖Δw‖ / ‖w‖   Karpathy's rule of thumb: about 1e-3 for a healthy run;
                                much larger and the step is as large as the weights (spikes),
                                much smaller and the layer barely learns
    lr             the learning rate of the parameter's group
    effective_lr   for Adam-like optimizers (state with ``exp_avg_sq`` and ``betas``):
                   the median and maximum over coordinates of the per-coordinate rate
                   lr / (sqrt(v_hat) + eps), v_hat = v / (1 - beta2^t) (the running maximum
                   of v with amsgrad), as keys ``effective_lr_median/NAME`` and
                   ``effective_lr_max/NAME``

All norms are 2-norms. ``every`` records one step in ``every`` (steps 0,
every, 2·every, ...), so a long run stays bounded; a step that is not recorded
costs one integer test. ``fit(..., record=[...], record_every=k)`` adds a
Recorder; without ``record`` nothing at all is computed.

Example::

    >>> history = fit(model, loss_fn, optimizer, loader, record=["update_ratio"])
    >>> history.layers["update_ratio/0.weight"][-1]
    0.0012
"""
from . import backend
from .callbacks import Callback
from .nn.utils.clip_grad import get_total_norm

STATISTICS = ("grad_norm", "weight_norm", "update_norm", "update_ratio", "lr", "effective_lr")
DEFAULT_STATISTICS = ("update_ratio", "grad_norm", "weight_norm", "effective_lr")


class Recorder(Callback):
    """Record per-layer optimizer statistics into ``history.layers`` every ``every`` steps.

    Args:
        record: names from ``STATISTICS`` (default: update_ratio, grad_norm,
            weight_norm, effective_lr).
        every: record one step in ``every``, a positive int.
    """

    def __init__(self, record=DEFAULT_STATISTICS, every=1):
        if isinstance(record, str):
            raise TypeError(f"record must be a list of names, got the string {record!r} "
                            f"(write [{record!r}])")
        record = tuple(record)
        unknown = [name for name in record if name not in STATISTICS]
        if unknown or not record:
            problem = f"unknown statistic {unknown[0]!r}" if unknown else "no statistic named"
            raise ValueError(f"record: {problem} (choose from {', '.join(STATISTICS)})")
        if isinstance(every, bool) or not isinstance(every, int) or every <= 0:
            raise ValueError(f"record_every must be a positive int, got {every!r}")
        self.record, self.every = record, every
        self._needs_update = "update_norm" in record or "update_ratio" in record
        self._before = None

    def on_before_optimizer_step(self, step, loss, model, optimizer, history):
        """Keep the weights the step will be applied to (only on recorded steps)."""
        if step % self.every == 0:
            self._before = {id(p): p.array.copy() if self._needs_update else p.array
                            for _, p, _ in _named_params(model, optimizer)}

    def on_step_end(self, step, loss, model, optimizer, history):
        """Append this step's statistics of every parameter to ``history.layers``."""
        if step % self.every:
            return
        history.layers["step"].append(step)
        for name, param, group in _named_params(model, optimizer):
            before = self._before[id(param)]
            values = {"weight_norm": _norm(before), "lr": group["lr"],
                      "grad_norm": float("nan") if param.grad is None else _norm(param.grad.array)}
            if self._needs_update:
                values["update_norm"] = _norm(param.array - before)
                values["update_ratio"] = values["update_norm"] / values["weight_norm"] \
                    if values["weight_norm"] > 0 else float("inf")
            for stat in self.record:
                if stat == "effective_lr":
                    values.update(_effective_lr(optimizer.state.get(param, {}), group))
                    for key in ("effective_lr_median", "effective_lr_max"):
                        if key in values:
                            history.layers[f"{key}/{name}"].append(values[key])
                else:
                    history.layers[f"{stat}/{name}"].append(values[stat])
        self._before = None


def _named_params(model, optimizer):
    """``(name, parameter, group)`` for every parameter the optimizer updates, in group order;
    a parameter not in ``model`` is named ``param{i}`` by its position."""
    names = {id(p): name for name, p in model.named_parameters()}
    index = 0
    for group in optimizer.param_groups:
        for param in group["params"]:
            yield names.get(id(param), f"param{index}"), param, group
            index += 1


def _norm(array):
    return float(backend.to_host(get_total_norm([array], 2.0)))  # a host read (GPU: a sync)


def _effective_lr(state, group):
    """Median and max of lr / (sqrt(v_hat) + eps) for Adam-like state, else nothing."""
    if "exp_avg_sq" not in state or "betas" not in group or not state.get("step"):
        return {}
    xp = backend.xp
    v = state["max_exp_avg_sq"] if group.get("amsgrad") else state["exp_avg_sq"]
    correction = 1 - group["betas"][1] ** state["step"] if group.get("bias_correction", True) \
        else 1.0
    rates = group["lr"] / (xp.sqrt(v / correction) + group["eps"])
    return {"effective_lr_median": float(backend.to_host(xp.median(rates))),  # host reads
            "effective_lr_max": float(backend.to_host(xp.max(rates)))}


__all__ = ["Recorder", "STATISTICS", "DEFAULT_STATISTICS"]
