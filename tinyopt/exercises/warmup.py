r"""Course page exercise 3: a tiny transformer trained with and without warmup.

The model (``TinyTransformer``) predicts the next character of tinyopt's
corpus: token and position embeddings, one pre-norm ``TransformerBlock``
(causal self-attention, 2 heads, width 16), a final LayerNorm and a linear
head. The student writes ``warmup_comparison(make_model, batches, lr,
warmup_steps)``: two runs from the same initial weights over the same
batches, with ``AdamW(lr, weight_decay=0.01)`` and

    "no warmup": WarmupCosineLR(optimizer, warmup_steps=0, total_steps=len(batches))
    "warmup":    WarmupCosineLR(optimizer, warmup_steps=warmup_steps, total_steps=len(batches))

(the same cosine decay, with or without the linear ramp from 0), each step
``zero_grad; loss = CrossEntropyLoss()(logits.reshape(-1, V), targets.reshape(-1));
backward; record the global gradient norm; optimizer.step(); scheduler.step()``. It
returns per run the loss and the gradient norm of every step, the largest
gradient norm, and the mean loss of the last 5 steps. At a high peak rate the
run without warmup takes its largest steps while Adam's second moments are
still unsettled: its gradient norm spikes early.
"""
from functools import partial

from . import experiments
from .exercise import FunctionCase, FunctionExercise, Mistake

RUNS = ["no warmup", "warmup"]
RESULT_KEYS = "loss, grad_norm, max_grad_norm, final_loss"


def tiny_transformer(vocab_size, block_size, width=16, heads=2):
    """The model: embeddings, one transformer block, LayerNorm, a linear head."""
    from .. import arange, nn

    class TinyTransformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens = nn.Embedding(vocab_size, width)
            self.positions = nn.Embedding(block_size, width)
            self.block = nn.TransformerBlock(width, heads)
            self.norm = nn.LayerNorm(width)
            self.head = nn.Linear(width, vocab_size)

        def forward(self, idx):
            h = self.tokens(idx) + self.positions(arange(idx.shape[1]))
            return self.head(self.norm(self.block(h)))
    return TinyTransformer()


def _per_tensor_norm_sum(parameters):
    return sum(experiments.global_norm([p]) for p in parameters)


def train(model, optimizer, scheduler, batches, scheduler_first=False,
          norm=experiments.global_norm):
    """``(losses, gradient norms)`` of every step (the keywords inject two known mistakes: the
    scheduler stepped before the optimizer; a norm that is not the global one)."""
    import warnings

    from .. import nn
    loss_fn, losses, norms = nn.CrossEntropyLoss(), [], []
    with warnings.catch_warnings():
        if scheduler_first:  # the mistake PyTorch warns about; the grader replays it quietly
            warnings.filterwarnings("ignore", "Detected call of `lr_scheduler.step")
        for x, y in batches:
            optimizer.zero_grad()
            logits = model(x)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            loss.backward()
            norms.append(norm(model.parameters()))
            if scheduler_first:
                scheduler.step()
            optimizer.step()
            if not scheduler_first:
                scheduler.step()
            losses.append(loss.item())
    return losses, norms


def warmup_comparison(make_model, batches, lr, warmup_steps, reuse_model=False, **mistake):
    """The reference (the keywords inject the known mistakes)."""
    from .. import optim
    from ..optim.lr_scheduler import WarmupCosineLR
    loss, grad_norm, model = {}, {}, None
    for run, warmup in zip(RUNS, (0, warmup_steps)):
        model = model if reuse_model and model is not None else make_model()
        optimizer = optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        scheduler = WarmupCosineLR(optimizer, warmup_steps=warmup, total_steps=len(batches))
        loss[run], grad_norm[run] = train(model, optimizer, scheduler, batches, **mistake)
    return {"loss": loss, "grad_norm": grad_norm,
            "max_grad_norm": {run: max(grad_norm[run]) for run in RUNS},
            "final_loss": {run: sum(loss[run][-5:]) / 5 for run in RUNS}}


def character_batches(steps, batch_size, block_size, seed=0):
    """``(make_model, batches)``: ``steps`` fixed random batches of corpus windows."""
    import numpy as np

    from ..data import make_char_dataset
    x, y, vocab = make_char_dataset(block_size=block_size, stride=4)
    rng = np.random.default_rng(seed)
    rows = [rng.choice(x.shape[0], batch_size, replace=False) for _ in range(steps)]
    return (experiments.model_maker(partial(tiny_transformer, len(vocab), block_size)),
            [(x[r], y[r]) for r in rows])


def evaluate_warmup(function, case, steps, progress):
    """Run the student's comparison on fixed batches of the corpus; record every quantity."""
    kwargs = dict(case.kwargs)
    make_model, batches = character_batches(kwargs.pop("steps"), kwargs.pop("batch_size"),
                                            kwargs.pop("block_size"))
    progress(1)
    with experiments.numpy_executor():
        result = function(make_model, batches, **kwargs)
    get = partial(experiments.entry, result, function_name="warmup_comparison",
                  shape=RESULT_KEYS)
    losses = [experiments.curve(c, len(batches), f"loss[{r!r}]") for r, c in
              zip(RUNS, experiments.per_arm(get("loss"), RUNS, "loss"))]
    norms = [experiments.curve(c, len(batches), f"grad_norm[{r!r}]") for r, c in
             zip(RUNS, experiments.per_arm(get("grad_norm"), RUNS, "grad_norm"))]
    for step in range(len(batches)):
        values = {f"{r}: loss": c[step] for r, c in zip(RUNS, losses)}
        values.update({f"{r}: gradient norm": c[step] for r, c in zip(RUNS, norms)})
        experiments.record(steps, f"step {step + 1}", values)
    experiments.record(steps, "summary", {
        **experiments.labelled(get("max_grad_norm"), RUNS, "max_grad_norm",
                               "largest gradient norm"),
        **experiments.labelled(get("final_loss"), RUNS, "final_loss",
                               "mean loss of the last 5 steps")})


EXERCISES = [FunctionExercise(
    name="warmup_comparison", title="Course exercise: a transformer with and without warmup",
    class_name="warmup_comparison",
    goal="what a warmup does to the gradient norm and the loss of a transformer at a high rate",
    reference=warmup_comparison,
    cases=[FunctionCase("tiny character transformer, 30 steps of 16 windows of 16, warmup 8",
                        dict(steps=30, batch_size=16, block_size=16, lr=0.3, warmup_steps=8),
                        tolerance=experiments.TOLERANCE)],
    evaluate=evaluate_warmup, strict_diagnosis=True,
    what="both runs' loss and global gradient norm at every step, the largest norm and the "
         "final loss",
    mistakes={
        "scheduler stepped before the optimizer": Mistake(
            partial(warmup_comparison, scheduler_first=True),
            "call scheduler.step() after optimizer.step(): stepped before, the warmup skips "
            "its first rate (0) and every step uses the next step's rate"),
        "gradient norm per tensor, summed": Mistake(
            partial(warmup_comparison, norm=_per_tensor_norm_sum),
            "the global norm is sqrt(sum of every squared gradient element over all "
            "parameters), not the sum of each tensor's norm"),
        "one model trained in both runs": Mistake(
            partial(warmup_comparison, reuse_model=True),
            "build a fresh model with make_model() for each run: both start from the same "
            "initial weights"),
    })]
