"""``tinyopt train``: one model, data set, optimizer and schedule; curves and a checkpoint.

A checkpoint (``checkpoint.pkl``) is written after every epoch. It holds the
model, the optimizer and scheduler state, the random generator, the number
of finished epochs (the loader's order depends only on the seed and the
epoch) and the history, so ``--resume`` continues exactly where the run
stopped: the result is bit for bit the result of an uninterrupted run.
``--stop-after K`` ends a run after K epochs, as if interrupted (a cluster
time limit, a lecture break). The checkpoint is a pickle: resume only runs
you made yourself.
"""
import copy
import json
import pickle

from .. import recipes
from . import common

CHECKPOINT = "checkpoint.pkl"
CHECKPOINT_FORMAT = 1
SETTINGS = ("dataset", "optimizer", "lr", "epochs", "batch_size", "hidden", "max_grad_norm",
            "seed")
"""What a run is made of; ``--resume`` takes them from the checkpoint."""


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
                        help=f"continue the run in --out from its {CHECKPOINT}")
    parser.add_argument("--stop-after", type=common.positive_int, default=None, metavar="K",
                        help="stop after K epochs of this invocation (resume later)")
    common.add_output_arguments(parser, "tinyopt-output/train")


class _Run:
    """The model, data, optimizer and scheduler that ``settings`` describe."""

    def __init__(self, settings):
        import tinyopt
        tinyopt.manual_seed(settings["seed"])
        X_train, y_train, X_test, y_test, classes = common.load_data(settings["dataset"],
                                                                     settings["seed"])
        self.model = common.build_mlp(X_train.shape[1], settings["hidden"], classes)
        self.train_loader, self.test_loader = common.loaders(
            X_train, y_train, X_test, y_test, settings["batch_size"], settings["seed"])
        recipe = recipes.parse_recipe(settings["optimizer"])
        self.optimizer, self.scheduler = recipe.with_default_lr(settings["lr"]).build(
            self.model.parameters(), settings["epochs"] * len(self.train_loader))


def _settings_from_arguments(args):
    """The run's settings from the flags, with the learning rate it will really use."""
    if args.lr is not None and "lr" in args.optimizer.settings:
        raise common.CommandError(f"--lr {args.lr:g} and the recipe's "
                                  f"lr={args.optimizer.settings['lr']:g}: give the rate once")
    settings = {name: getattr(args, name) for name in SETTINGS}
    settings["optimizer"] = args.optimizer.text
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
    """The checkpoint in ``out``; ``CommandError`` if there is none or it is not ours."""
    path = out / CHECKPOINT
    if not path.exists():
        raise common.CommandError(f"nothing to resume: {path} does not exist "
                                  "(run without --resume first)")
    with open(path, "rb") as file:
        checkpoint = pickle.load(file)
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise common.CommandError(f"{path} is not a tinyopt train checkpoint of format "
                                  f"{CHECKPOINT_FORMAT}")
    return checkpoint


def _save_checkpoint(out, settings, run, history, epochs_done):
    """Everything ``--resume`` needs, written atomically into ``out``."""
    from .. import backend
    checkpoint = {"format": CHECKPOINT_FORMAT, "settings": settings, "epochs_done": epochs_done,
                  "model": run.model.state_dict(), "optimizer": run.optimizer.state_dict(),
                  "scheduler": None if run.scheduler is None else run.scheduler.state_dict(),
                  "rng": copy.deepcopy(backend.rng().bit_generator.state),
                  "history": history.to_dict()}
    temporary = out / f"{CHECKPOINT}.partial"
    with open(temporary, "wb") as file:
        pickle.dump(checkpoint, file)
    temporary.replace(out / CHECKPOINT)  # never leave a half-written checkpoint


def _restore(run, checkpoint):
    """Put ``checkpoint``'s state into a freshly built ``run``; returns its history."""
    from .. import backend
    from ..train import History
    run.model.load_state_dict(checkpoint["model"])
    run.optimizer.load_state_dict(checkpoint["optimizer"])
    if run.scheduler is not None:
        run.scheduler.load_state_dict(checkpoint["scheduler"])
    backend.rng().bit_generator.state = checkpoint["rng"]
    run.train_loader.set_epoch(checkpoint["epochs_done"])
    history = History()
    history.steps.update(checkpoint["history"]["steps"])
    history.epochs.update(checkpoint["history"]["epochs"])
    return history


def main(args):
    """Train (or resume), writing checkpoint.pkl each epoch, then history.json and curves."""
    import numpy
    from .. import backend, nn, recording
    from ..train import History, fit
    from ..viz import plot_layer_dynamics, plot_training_curves
    args.out.mkdir(parents=True, exist_ok=True)
    if args.resume:
        checkpoint = _load_checkpoint(args.out)
        settings = _checked_resume_settings(args, checkpoint["settings"])
        run = _Run(settings)
        history, first_epoch = _restore(run, checkpoint), checkpoint["epochs_done"]
    else:
        settings = _settings_from_arguments(args)
        run, history, first_epoch = _Run(settings), History(), 0
    last_epoch = settings["epochs"] if args.stop_after is None else \
        min(settings["epochs"], first_epoch + args.stop_after)
    with common.progress_bar(args, last_epoch - first_epoch, "train") as bar:
        for epoch in range(first_epoch, last_epoch):
            fit(run.model, nn.CrossEntropyLoss(), run.optimizer, run.train_loader, epochs=1,
                val_loader=run.test_loader, progress=False, history=history,
                scheduler=run.scheduler, scheduler_interval="batch",
                max_grad_norm=settings["max_grad_norm"],
                record=list(recording.DEFAULT_STATISTICS) if args.record else None)
            history.epochs["epoch"][-1] = epoch
            _save_checkpoint(args.out, settings, run, history, epoch + 1)
            bar.update(1)
            bar.set_postfix(accuracy=f"{history.epochs['val_accuracy'][-1]:.3f}")
    (args.out / "history.json").write_text(json.dumps(history.to_dict(), indent=1))
    numpy.savez(args.out / "model.npz", **{name: backend.to_host(value) for name, value
                                           in run.model.state_dict().items()})
    title = (f"{settings['dataset']}: MLP {settings['hidden']}-{settings['hidden']}, "
             f"batch {settings['batch_size']}, {len(history.epochs['epoch'])} epochs")
    files = common.save(plot_training_curves({settings["optimizer"]: history}, title=title),
                        args.out, "curves", args.format)
    files += common.save(plot_layer_dynamics(history, title=title), args.out, "layers",
                         args.format) if args.record else []
    status = "stopped early; continue with --resume" if last_epoch < settings["epochs"] \
        else "done"
    print(f"{settings['dataset']}: test accuracy {history.epochs['val_accuracy'][-1]:.3f}, "
          f"train loss {history.epochs['train_loss'][-1]:.4f} after {last_epoch} of "
          f"{settings['epochs']} epochs ({status})")
    common.report_written(args.out, ["history.json", "model.npz", CHECKPOINT] + files)
