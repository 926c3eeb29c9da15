r"""The learning-rate range test (Smith 2017; fastai's ``lr_find``): sweep the rate, watch the loss.

Train for ``num_iter`` mini-batches while the rate grows from ``start_lr``
to ``end_lr``, geometrically (``step_mode='exp'``, the usual) or linearly:

    exp:     lr_i = start · (end / start)^(i / (num_iter - 1))
    linear:  lr_i = start + (end - start) · i / (num_iter - 1)

The raw losses are noisy, so they are smoothed with an exponential moving
average, ``s_i = f · loss_i + (1 - f) · s_{i-1}`` (``smooth_f``). The test
stops early once ``s_i > diverge_th · min(s)``. ``suggestion()`` is the rate
where the smoothed loss falls fastest (steepest negative slope against
log lr), a good starting rate or the peak of a one-cycle schedule.

Afterwards the model's parameters and buffers, the optimizer's state and
hyper-parameters, the gradients and tinyopt's random generator are put
back exactly as they were: the test leaves no trace.

Example::

    >>> finder = LRFinder(model, optimizer, nn.CrossEntropyLoss())
    >>> finder.range_test(loader, start_lr=1e-6, end_lr=10, num_iter=100)
    >>> lr = finder.suggestion(); fig = finder.plot()
"""
import copy
import math

from .. import backend


class LRFinder:
    """Run a learning-rate range test on ``model`` with ``optimizer`` and ``loss_fn``.

    After ``range_test``, ``history`` holds ``{'lr': [...], 'loss': [...]}``
    (smoothed losses) and ``raw_losses`` the unsmoothed ones.
    """

    def __init__(self, model, optimizer, loss_fn):
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.history = {"lr": [], "loss": []}
        self.raw_losses = []

    def _snapshot(self):
        params = [p for group in self.optimizer.param_groups for p in group["params"]]
        return {"model": copy.deepcopy(self.model.state_dict()),
                "optimizer": self.optimizer.state_dict(),
                "grads": [None if p.grad is None else p.grad.clone() for p in params],
                "rng": copy.deepcopy(backend.rng().bit_generator.state),
                "training": self.model.training}

    def _restore(self, snapshot):
        self.model.load_state_dict(snapshot["model"])
        self.optimizer.load_state_dict(snapshot["optimizer"])
        params = [p for group in self.optimizer.param_groups for p in group["params"]]
        for param, grad in zip(params, snapshot["grads"]):
            param.grad = grad
        backend.rng().bit_generator.state = snapshot["rng"]
        self.model.train(snapshot["training"])

    def range_test(self, train_loader, start_lr=None, end_lr=10.0, num_iter=100,
                   step_mode="exp", smooth_f=0.05, diverge_th=5.0):
        """Sweep the rate over ``num_iter`` batches (cycling ``train_loader`` if needed).

        Args:
            train_loader: yields ``(inputs, target)``.
            start_lr: the first rate (default: the optimizer's current rates).
            end_lr: the last rate, > start_lr.
            num_iter: batches in the sweep, int >= 2.
            step_mode: 'exp' (geometric, default) or 'linear'.
            smooth_f: weight of the newest loss in the moving average, in [0, 1).
            diverge_th: stop once the smoothed loss exceeds this times its minimum (> 1).

        Returns ``history``. All state is restored afterwards, also on error.
        """
        if step_mode not in ("exp", "linear"):
            raise ValueError(f"step_mode must be 'exp' or 'linear', got {step_mode!r}")
        if isinstance(num_iter, bool) or not isinstance(num_iter, int) or num_iter < 2:
            raise ValueError(f"num_iter must be an int >= 2, got {num_iter!r}")
        if not 0 <= smooth_f < 1:
            raise ValueError(f"smooth_f must be in [0, 1), got {smooth_f}")
        if not diverge_th > 1:
            raise ValueError(f"diverge_th must be > 1, got {diverge_th}")
        starts = [group["lr"] for group in self.optimizer.param_groups] if start_lr is None \
            else [start_lr] * len(self.optimizer.param_groups)
        if not all(0 < start < end_lr for start in starts):
            raise ValueError(f"need 0 < start_lr < end_lr, got start_lr={starts} and "
                             f"end_lr={end_lr}")
        self.history, self.raw_losses = {"lr": [], "loss": []}, []
        snapshot = self._snapshot()
        try:
            self._sweep(train_loader, starts, end_lr, num_iter, step_mode, smooth_f, diverge_th)
        finally:
            self._restore(snapshot)
        return self.history

    def _sweep(self, loader, starts, end_lr, num_iter, step_mode, smooth_f, diverge_th):
        self.model.train()
        batches, best = iter(loader), math.inf
        for i in range(num_iter):
            fraction = i / (num_iter - 1)
            lrs = [start * (end_lr / start) ** fraction if step_mode == "exp"
                   else start + (end_lr - start) * fraction for start in starts]
            for group, lr in zip(self.optimizer.param_groups, lrs):
                group["lr"] = lr
            try:
                inputs, target = next(batches)
            except StopIteration:
                batches = iter(loader)
                inputs, target = next(batches)
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(inputs), target)
            loss.backward()
            self.optimizer.step()
            value = loss.item()
            self.raw_losses.append(value)
            smoothed = value if i == 0 else smooth_f * value + (1 - smooth_f) * \
                self.history["loss"][-1]
            self.history["lr"].append(lrs[0])
            self.history["loss"].append(smoothed)
            best = min(best, smoothed)
            if not math.isfinite(smoothed) or smoothed > diverge_th * best:
                break

    def suggestion(self, skip_start=10, skip_end=5):
        """The rate where the smoothed loss falls fastest against log lr.

        ``skip_start``/``skip_end`` points at the ends are ignored (noisy start,
        divergence at the end). Raises ``RuntimeError`` before a range test
        or when too few points are left.
        """
        xp = backend.xp
        lrs, losses = self._trimmed(skip_start, skip_end)
        if len(lrs) < 3:
            raise RuntimeError(f"the range test kept {len(lrs)} points after skipping "
                               f"{skip_start} + {skip_end}; run more iterations or skip fewer")
        slopes = xp.gradient(xp.asarray(losses), xp.log(xp.asarray(lrs)))
        return float(lrs[int(xp.argmin(slopes))])

    def _trimmed(self, skip_start, skip_end):
        if not self.history["lr"]:
            raise RuntimeError("call range_test() first")
        end = len(self.history["lr"]) - skip_end
        finite = [(lr, loss) for lr, loss in zip(self.history["lr"][skip_start:end],
                                                 self.history["loss"][skip_start:end])
                  if math.isfinite(loss)]
        return [lr for lr, _ in finite], [loss for _, loss in finite]

    def plot(self, skip_start=10, skip_end=5, log_lr=True, show_suggestion=True, ax=None):
        """Draw the smoothed loss against the rate; returns the matplotlib Figure.

        Uses no pyplot state (works under the Agg backend); pass ``ax`` to draw
        into an existing Axes.
        """
        from matplotlib.figure import Figure
        lrs, losses = self._trimmed(skip_start, skip_end)
        if ax is None:
            ax = Figure(figsize=(6, 4)).subplots()
        ax.plot(lrs, losses, label="smoothed loss")
        if log_lr:
            ax.set_xscale("log")
        if show_suggestion and len(lrs) >= 3:
            lr = self.suggestion(skip_start, skip_end)
            ax.axvline(lr, color="tab:red", linestyle="--", label=f"suggestion {lr:.2e}")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.legend()
        return ax.figure
