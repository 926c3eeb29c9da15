"""Callbacks: code that ``fit`` runs at fixed points of every step and epoch.

A callback is any object with some of these methods (``Callback`` has them
all, doing nothing, to subclass)::

    on_before_optimizer_step(step, loss, model, optimizer, history)
        after backward, before clipping and ``optimizer.step()``: the gradients
        are in ``p.grad``, the weights are still those the loss was measured at
    on_step_end(step, loss, model, optimizer, history)
        after ``optimizer.step()`` and the step's ``history.log_step``
    on_epoch_end(epoch, record, model, optimizer, history)
        after validation, the scheduler and ``history.log_epoch``; ``record`` is
        the epoch's dict (``train_loss``, ``val_loss``, ...)

``step`` counts optimizer steps from 0 over the whole history (with gradient
accumulation one step is ``accumulate_steps`` micro-batches, and the
callbacks fire once per step); ``loss`` is the step's loss, a float.
Callbacks fire in the order of the list given to ``fit``.

Example, printing the loss every 100 steps::

    >>> class Every100(Callback):
    ...     def on_step_end(self, step, loss, model, optimizer, history):
    ...         if step % 100 == 0:
    ...             print(step, loss)
    >>> fit(model, loss_fn, optimizer, loader, callbacks=[Every100()])
"""

HOOKS = ("on_before_optimizer_step", "on_step_end", "on_epoch_end")


class Callback:
    """The hooks ``fit`` calls, all doing nothing; override the ones you need."""

    def on_before_optimizer_step(self, step, loss, model, optimizer, history):
        """After backward, before clipping and the optimizer's step."""

    def on_step_end(self, step, loss, model, optimizer, history):
        """After the optimizer's step and the step's history record."""

    def on_epoch_end(self, epoch, record, model, optimizer, history):
        """After the epoch's validation, scheduler step and history record."""


def hooks(callbacks, name):
    """The bound ``name`` methods of ``callbacks`` that exist, in order (checked up front).

    Raises ``TypeError`` for a callback that has none of the hooks: a typo in
    a method name would otherwise be silently never called.
    """
    callbacks = list(callbacks)
    for callback in callbacks:
        if not any(callable(getattr(callback, hook, None)) for hook in HOOKS):
            raise TypeError(f"callbacks: {callback!r} has none of the methods "
                            f"{', '.join(HOOKS)}")
    return [getattr(c, name) for c in callbacks if callable(getattr(c, name, None))]


__all__ = ["Callback", "HOOKS", "hooks"]
