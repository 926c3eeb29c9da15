"""``tinyopt train``: one model, data set, optimizer and schedule; curves and a checkpoint.

A checkpoint (``checkpoint.npz``) is written after every epoch. It holds the
model, the optimizer and scheduler state, the random generator, the number
of finished epochs (the loader's order depends only on the seed and the
epoch) and the history, so ``--resume`` continues exactly where the run
stopped: the result is bit for bit the result of an uninterrupted run.
``--stop-after K`` ends a run after K epochs, as if interrupted (a cluster
time limit, a lecture break).

The checkpoint is written by ``tinyopt.save``: arrays and JSON, with a
checksum per array, replaced atomically, so loading it runs no code, a
corrupted or truncated file is refused with one line, and a kill at any
moment leaves the previous epoch's checkpoint intact. A run that diverges
(a non-finite loss, or a training loss ending above twice its first step's)
writes its history and curves, marked, but no ``model.npz``, and exits
with status 1.

Every recipe trains, the frontier ones too (``fit`` drives SAM's closure,
the Hessian optimizers and SophiaG's sampled Hessian). A schedule-free
optimizer is in eval mode after each epoch's ``fit``, so the checkpoint and
``model.npz`` hold the average x, and the next epoch's ``fit`` returns to y.

``--workers N`` launches N copies of this command under ``mpiexec`` (the
``dist`` extra's mpich wheel) that train data-parallel: each rank reads its
``--batch-size`` rows of every batch of N x ``--batch-size``, gradients are
averaged by ``DistributedDataParallel`` (``--zero``: the optimizer state is
sharded, ZeRO-1), and rank 0 writes the outputs, which equal one process's
with ``--batch-size`` N x as large (up to float32 rounding).
"""
import json

from .. import recipes, serialization
from . import common, custom_optimizer, models

CHECKPOINT = "checkpoint.npz"
OLD_CHECKPOINT = "checkpoint.pkl"
"""The pickle checkpoint of earlier tinyopt versions: refused, never unpickled."""
CHECKPOINT_FORMAT = 2
CHECKPOINT_KEYS = ("format", "settings", "epochs_done", "model", "optimizer", "scheduler", "rng",
                   "history")
OUTPUTS = common.outputs(("history.json", "model.npz", CHECKPOINT, OLD_CHECKPOINT),
                         ("curves", "layers"))
SETTINGS = ("dataset", "optimizer", "lr", "epochs", "batch_size", "hidden", "max_grad_norm",
            "seed", "model", "data_dir")
"""What a run is made of; ``--resume`` takes them from the checkpoint."""
LATER_SETTINGS = {"model": "mlp", "data_dir": None}
"""Settings that checkpoints of earlier versions lack, and the value those runs used."""


def add_arguments(parser):
    """The ``train`` options."""
    common.add_model_arguments(parser)
    parser.add_argument("--optimizer", type=common.recipe, default=common.recipe("momentum"),
                        metavar="RECIPE",
                        help="optimizer and schedule, e.g. adamw:weight_decay=0.05+cosine "
                             "(default momentum: SGD with momentum 0.9)")
    parser.add_argument("--lr", type=common.positive_float, default=None,
                        help="learning rate when the recipe names none (default 0.1 for "
                             "SGD-like methods, 1e-3 for Adam-like ones)")
    parser.add_argument("--epochs", type=common.positive_int, default=30,
                        help="epochs in all (default 30)")
    parser.add_argument("--max-grad-norm", type=common.positive_float, default=None,
                        help="clip the gradient norm to this (default: no clipping)")
    parser.add_argument("--record", action="store_true",
                        help="record each layer's update ratio, gradient and weight norms and "
                             "effective rates; writes layers.png (and history.json's 'layers')")
    parser.add_argument("--resume", action="store_true",
                        help=f"continue the run in --out from its {CHECKPOINT} (the only way, "
                             "besides --overwrite, to write into a folder holding a run)")
    parser.add_argument("--stop-after", type=common.positive_int, default=None, metavar="K",
                        help="stop after K epochs of this invocation (resume later)")
    parser.add_argument("--label", default=None,
                        help="the run's legend label (default: the recipe as written)")
    common.add_spike_arguments(parser)
    common.add_figure_arguments(parser, "the data set, model, batch size and epochs")
    parser.add_argument("--workers", type=common.positive_int, default=1, metavar="N",
                        help="train data-parallel on N MPI processes (mpiexec, from "
                             "'tinyopt[dist]'), each with --batch-size rows of every batch of "
                             "N x --batch-size: the run of one process with the N-fold batch")
    parser.add_argument("--zero", action="store_true",
                        help="with --workers: shard the optimizer state over the workers "
                             "(ZeroRedundancyOptimizer, ZeRO-1) instead of replicating it")
    common.add_output_arguments(parser, "tinyopt-output/train")


def check(args):
    """Usage errors: a CNN on points, --skip-spikes without --spikes, a class of your own
    (a checkpoint names its recipe, and ``--resume`` imports no module a file names)."""
    models.check(args)
    common.check_spike_arguments(args)
    if isinstance(args.optimizer, custom_optimizer.ClassRecipe):
        raise common.UsageError("argument --optimizer: train takes the zoo's optimizers (its "
                                "checkpoint names the recipe, and --resume imports no module "
                                "a file names); compare, sweep and lr-find take your class")


class _Run:
    """The model, data, optimizer and scheduler that ``settings`` describe, on ``workers``
    ranks: each reads its share of every batch of ``workers`` x batch_size rows, the model
    in a ``DistributedDataParallel`` (``forward``), the optimizer sharded with ``zero``."""

    def __init__(self, settings, workers=1, zero=False):
        import tinyopt
        from .. import distributed
        tinyopt.manual_seed(settings["seed"])
        spec = models.parse_model(settings["model"])
        X_train, y_train, X_test, y_test, classes = models.load_data(
            settings["dataset"], settings["seed"], settings["data_dir"], spec.kind != "cnn")
        self.model = models.build(spec, X_train, settings["hidden"], classes)
        self.train_loader, self.test_loader = common.loaders(
            X_train, y_train, X_test, y_test, settings["batch_size"] * workers,
            settings["seed"])
        self.forward = self.model
        if workers > 1:
            distributed.training.check_even_shares(len(X_train), settings["batch_size"] * workers,
                                                   workers)
            self.train_loader = distributed.training.BatchShard(self.train_loader)
            self.forward = distributed.DistributedDataParallel(self.model)
        recipe = recipes.parse_recipe(settings["optimizer"]).with_default_lr(settings["lr"])
        total_steps = settings["epochs"] * len(self.train_loader)
        if zero:
            optimizer_class, kwargs = recipe.optimizer_class_and_kwargs()
            self.optimizer = distributed.ZeroRedundancyOptimizer(self.model.parameters(),
                                                                 optimizer_class, **kwargs)
            self.scheduler = recipe.build_scheduler(self.optimizer, total_steps)
        else:
            self.optimizer, self.scheduler = recipe.build(self.model.parameters(), total_steps)


def _check_parallel(args):
    """``--workers``/``--zero`` with an optimizer they cannot run: a ``CommandError``."""
    from ..distributed.zero import check_shardable
    optimizer_class, _ = args.optimizer.optimizer_class_and_kwargs()
    if args.zero:
        try:
            check_shardable(optimizer_class)
        except ValueError as error:
            raise common.CommandError(f"--zero: {error}") from None
    if args.workers > 1 and callable(getattr(optimizer_class, "hessian_backward", None)):
        raise common.CommandError(
            f"--workers {args.workers}: {optimizer_class.__name__} differentiates the loss "
            "itself (Hessian-vector products), which DistributedDataParallel's gradient "
            "averaging does not reach; train it in one process")


def _launch(args):
    """Run this same command on ``--workers`` ranks under mpiexec (the launcher's part)."""
    from ..distributed.training import launch
    _check_parallel(args)
    argv = [arg for arg in args.argv if arg != "--overwrite"]  # the launcher cleaned --out
    try:
        status = launch(args.workers, argv)
    except RuntimeError as error:
        raise common.CommandError(str(error)) from None
    if status != 0:
        raise common.CommandError(f"the {args.workers} workers failed (mpiexec exit status "
                                  f"{status}); their errors are above")


def _settings_from_arguments(args):
    """The run's settings from the flags, with the learning rate it will really use."""
    if args.lr is not None and "lr" in args.optimizer.settings:
        raise common.CommandError(f"--lr {args.lr:g} and the recipe's "
                                  f"lr={args.optimizer.settings['lr']:g}: give the rate once")
    settings = {name: getattr(args, name) for name in SETTINGS}
    settings["optimizer"] = args.optimizer.text
    settings["model"] = str(args.model)
    settings["data_dir"] = None if args.data_dir is None else str(args.data_dir)
    settings["lr"] = args.optimizer.settings.get("lr", common.optimizer_lr(args.optimizer,
                                                                           args.lr))
    return settings


def _defaults():
    """The value of every option when no flag is given."""
    parser = common.Parser()
    add_arguments(parser)
    return vars(parser.parse_args([]))


def _checked_resume_settings(args, saved):
    """The checkpoint's settings; a flag given with a different value is an error."""
    given, defaults = _settings_from_arguments(args), _defaults()
    for name in SETTINGS:
        value, default = getattr(args, name), defaults[name]
        if name == "optimizer":
            value, default = value.text, default.text
        if value != default and given[name] != saved[name]:
            raise common.CommandError(
                f"--{name.replace('_', '-')} {value} differs from the checkpoint's "
                f"{saved[name]}: drop it to resume, or start a new run in another --out")
    return saved


def _load_checkpoint(out):
    """The checkpoint in ``out``; ``CommandError`` (one line, naming the file) if there is
    none, it is not ours, or it is corrupted (``serialization.CheckpointError``)."""
    path = out / CHECKPOINT
    if not path.exists():
        if (out / OLD_CHECKPOINT).exists():
            raise common.CommandError(
                f"{out / OLD_CHECKPOINT} is a pickle checkpoint of an older tinyopt; it is not "
                "loaded, since unpickling can run any code: start the run again with --overwrite")
        raise common.CommandError(f"nothing to resume: {path} does not exist "
                                  "(run without --resume first)")
    checkpoint = serialization.load(path)
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise common.CommandError(f"{path} is not a tinyopt train checkpoint of format "
                                  f"{CHECKPOINT_FORMAT}")
    for name, value in LATER_SETTINGS.items():
        if isinstance(checkpoint.get("settings"), dict):
            checkpoint["settings"].setdefault(name, value)
    missing = [key for key in CHECKPOINT_KEYS if key not in checkpoint]
    unknown = [name for name in SETTINGS if name not in checkpoint.get("settings", {})]
    if missing or unknown:
        raise common.CommandError(f"{path} is incomplete: it lacks {(missing or unknown)[0]!r}")
    return checkpoint


def _save_checkpoint(out, settings, run, history, epochs_done):
    """Everything ``--resume`` needs, written atomically into ``out`` (by rank 0; every
    rank takes part in gathering a ZeRO optimizer's state)."""
    from .. import backend, distributed
    checkpoint = {
        "format": CHECKPOINT_FORMAT, "settings": settings, "epochs_done": epochs_done,
        "model": run.model.state_dict(), "optimizer": run.optimizer.state_dict(),
        "scheduler": None if run.scheduler is None else run.scheduler.state_dict(),
        "rng": backend.rng().bit_generator.state, "history": history.to_dict()}
    if distributed.rank() == 0:
        serialization.save(checkpoint, out / CHECKPOINT)


def _restore(run, checkpoint, path):
    """Put ``checkpoint``'s state into a freshly built ``run``; returns its history.

    A checkpoint that does not fit the run (edited, or from another version) is a
    ``CommandError`` naming ``path``.
    """
    from .. import backend
    from ..train import History
    try:
        run.model.load_state_dict(checkpoint["model"])
        run.optimizer.load_state_dict(checkpoint["optimizer"])
        if run.scheduler is not None:
            run.scheduler.load_state_dict(checkpoint["scheduler"])
        backend.rng().bit_generator.state = checkpoint["rng"]
        run.train_loader.set_epoch(checkpoint["epochs_done"])
        history = History()
        history.steps.update(checkpoint["history"]["steps"])
        history.epochs.update(checkpoint["history"]["epochs"])
        history.layers.update(checkpoint["history"].get("layers", {}))
        history.spikes.extend(checkpoint["history"].get("spikes", []))
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise common.CommandError(f"{path} does not fit this run: {error}") from None
    return history


def _train(args, settings, run, history, first_epoch, last_epoch, callbacks):
    """Train epochs ``first_epoch`` .. ``last_epoch - 1``, checkpointing after each; returns
    the failure (a non-finite value) that stopped training, or None."""
    import numpy
    from .. import nn, recording
    from ..distributed.training import GlobalLoss
    from ..train import fit
    callbacks = ([GlobalLoss()] if args.workers > 1 else []) + list(callbacks)
    with common.progress_bar(args, last_epoch - first_epoch, "train") as bar, \
            numpy.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
        for epoch in range(first_epoch, last_epoch):
            try:
                fit(run.forward, nn.CrossEntropyLoss(), run.optimizer, run.train_loader,
                    epochs=1, val_loader=run.test_loader, progress=False, history=history,
                    scheduler=run.scheduler, scheduler_interval="batch",
                    max_grad_norm=settings["max_grad_norm"], callbacks=callbacks,
                    record=list(recording.DEFAULT_STATISTICS) if args.record else None)
            except FloatingPointError as error:
                return str(error)
            history.epochs["epoch"][-1] = epoch
            _save_checkpoint(args.out, settings, run, history, epoch + 1)
            bar.update(1)
            bar.set_postfix(accuracy=f"{history.epochs['val_accuracy'][-1]:.3f}")
    return None


def main(args):
    """Train (or resume), writing checkpoint.npz each epoch, then history.json and curves.

    With ``--workers N`` this process launches N ranks under mpiexec, each running this
    function; rank 0 writes the outputs.
    """
    from .. import distributed
    from ..distributed.training import is_worker
    from ..train import History
    if args.workers > 1 and not is_worker():
        return _launch(args)
    _check_parallel(args)
    if distributed.init() != args.workers:
        raise common.CommandError(f"--workers {args.workers}, but mpiexec started "
                                  f"{distributed.world_size()} processes")
    if args.resume:
        checkpoint = _load_checkpoint(args.out)
        settings = _checked_resume_settings(args, checkpoint["settings"])
        run = _Run(settings, args.workers, args.zero)
        history = _restore(run, checkpoint, args.out / CHECKPOINT)
        first_epoch = checkpoint["epochs_done"]
    else:
        settings = _settings_from_arguments(args)
        run, history, first_epoch = _Run(settings, args.workers, args.zero), History(), 0
    last_epoch = settings["epochs"] if args.stop_after is None else \
        min(settings["epochs"], first_epoch + args.stop_after)
    failure = _train(args, settings, run, history, first_epoch, last_epoch,
                     common.spike_callbacks(args))
    if distributed.rank() == 0:
        _write_outputs(args, settings, run, history, failure, first_epoch, last_epoch)


def _write_outputs(args, settings, run, history, failure, first_epoch, last_epoch):
    """history.json, model.npz (unless the run diverged), the curves, and the summary line."""
    import numpy
    from .. import backend
    from ..viz import plot_layer_dynamics, plot_training_curves
    diverged = common.divergence(history, failure)
    record = history.to_dict() if diverged is None else {**history.to_dict(),
                                                          "diverged": diverged}
    with serialization.atomic_write(args.out / "history.json", "w") as file:
        file.write(json.dumps(record, indent=1))
    written = ["history.json"]
    if diverged is None:
        with serialization.atomic_write(args.out / "model.npz") as file:
            numpy.savez(file, **{name: backend.to_host(value) for name, value
                                 in run.model.state_dict().items()})
        written.append("model.npz")
    finished = len(history.epochs["epoch"])
    if finished > first_epoch:
        written.append(CHECKPOINT)
    model = models.parse_model(settings["model"]).describe(settings["hidden"])
    title = common.title(args, f"{settings['dataset']}: {model}, batch "
                               f"{settings['batch_size']}, {finished} epochs") \
        + ("" if diverged is None else " (DIVERGED)")
    label = args.label or settings["optimizer"]
    files = common.save(plot_training_curves({label: history}, title=title),
                        args.out, "curves", args.format, args)
    if args.record:
        files += common.save(plot_layer_dynamics(history, title=title), args.out, "layers",
                             args.format, args)
    if common.spike_summary(history):
        print(common.spike_summary(history))
    if diverged is not None:
        common.report_written(args.out, written + files)
        raise common.CommandError(f"the run diverged after {len(history.steps['loss'])} steps: "
                                  f"{diverged}; no model.npz written")
    status = "stopped early; continue with --resume" if last_epoch < settings["epochs"] \
        else "done"
    print(f"{settings['dataset']}: test accuracy {history.epochs['val_accuracy'][-1]:.3f}, "
          f"train loss {history.epochs['train_loss'][-1]:.4f} after {last_epoch} of "
          f"{settings['epochs']} epochs ({status})")
    common.report_written(args.out, written + files)
