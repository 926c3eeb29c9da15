r"""Lookahead: k fast steps forward, then pull the slow weights part of the way there.

Zhang, Lucas, Hinton & Ba (2019), "Lookahead Optimizer: k steps forward, 1
step back", Algorithm 1 (φ the slow weights, θ the fast ones, α alpha)::

    φ ← θ₀
    repeat:
        k steps of the inner optimizer on θ
        φ ← φ + α (θ - φ)           the slow weights move a fraction α of the way
        θ ← φ                       and the fast weights restart from them

pullback_momentum (Lookahead's follow-ups, as pytorch-optimizer 4.1.0 has
it, for an SGD with momentum inside): ``"none"`` keeps the inner momentum,
``"reset"`` zeroes it at each sync, ``"pullback"`` interpolates it like the
weights against a slow copy of it.

Defaults k=5, α=0.5 (the paper's and pytorch-optimizer's). As in
pytorch-optimizer, only parameters with a gradient in the syncing step are
synced. Unlike implementations that keep φ in attributes that
``state_dict`` forgets (a known bug class: a resumed run restarts from
φ = θ), ``state_dict()`` here holds the slow weights, the step counter and
the inner optimizer's state, so a resumed run is bit-identical.

Lecture intuition: let a fast explorer wander k steps, then move the camp only
halfway toward it: the noise of the wandering averages out.
"""
from .. import backend
from . import state_memory
from .hyperparameters import check_range
from .optimizer import Optimizer
from .saved_state import copy_value
from .sgd import SGD

PULLBACK_MOMENTUM = ("none", "reset", "pullback")


def lookahead_rule(p, g, slow, alpha):
    """θ ← φ + α (θ - φ); φ ← θ. (Also interpolates a momentum buffer against its slow copy.)"""
    p = slow + alpha * (p - slow)
    return p, p


_PROTOCOLS_NOT_PASSED_ON = ("hessian_backward", "update_hessian", "train", "eval")
"""Methods ``fit`` calls on some optimizers (Hessian estimates, schedule-free's y/x swap) that
Lookahead does not forward: wrapping such an optimizer would silently change its algorithm."""


class Lookahead(Optimizer):
    """Lookahead (Zhang et al. 2019) around an optimizer instance.

    Args:
        optimizer: the inner optimizer (an instance), or parameters, in which case
            ``base_optimizer(parameters, **kwargs)`` is built (what recipes use).
        k: fast steps per sync, an int >= 1 (default 5).
        alpha: α in (0, 1], how far the slow weights move (default 0.5; 1 is the
            inner optimizer alone).
        pullback_momentum: ``"none"``, ``"reset"`` or ``"pullback"`` (the last two
            need an SGD with momentum inside).
        base_optimizer: the inner optimizer's class when ``optimizer`` is parameters.

    Example::

        >>> opt = Lookahead(tinyopt.optim.Adam(model.parameters(), lr=1e-3), k=5, alpha=0.5)
    """

    def __init__(self, optimizer, k=5, alpha=0.5, pullback_momentum="none", *,
                 base_optimizer=SGD, **kwargs):
        if isinstance(optimizer, Lookahead):
            raise ValueError("Lookahead cannot wrap a Lookahead: the slow weights would be "
                             "synced twice; wrap the inner optimizer once")
        if not isinstance(optimizer, Optimizer):
            optimizer = base_optimizer(optimizer, **kwargs)
        elif kwargs:
            raise TypeError(f"Lookahead got an optimizer instance and its arguments "
                            f"{sorted(kwargs)}: pass either")
        protocol = [name for name in _PROTOCOLS_NOT_PASSED_ON if hasattr(optimizer, name)]
        if protocol:
            raise ValueError(f"Lookahead cannot wrap {type(optimizer).__name__}: fit would "
                             f"not reach its {' / '.join(protocol)}() through the wrapper, "
                             "so it would train as a different optimizer; use it unwrapped")
        if getattr(optimizer, "_lookahead", None) is not None:
            raise ValueError("this optimizer is already wrapped by a Lookahead: a second one "
                             "would keep a duplicate of its slow weights")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be an int >= 1, got {k!r}")
        check_range("alpha", alpha, 0, 1, bounds="(]")
        if pullback_momentum not in PULLBACK_MOMENTUM:
            raise ValueError(f"pullback_momentum must be one of {PULLBACK_MOMENTUM}, got "
                             f"{pullback_momentum!r}")
        if pullback_momentum != "none" and not (
                isinstance(optimizer, SGD)
                and all(group["momentum"] > 0 for group in optimizer.param_groups)):
            raise ValueError(f"pullback_momentum={pullback_momentum!r} needs an SGD with "
                             "momentum > 0 inside")
        self.base_optimizer, self.k, self.alpha = optimizer, k, alpha
        self.pullback_momentum = pullback_momentum
        self.defaults = {"k": k, "alpha": alpha, "pullback_momentum": pullback_momentum,
                         **optimizer.defaults}
        self.steps_taken = 0
        self.counter = 0
        """Fast steps since the last sync."""
        self.state = {}
        for group in self.param_groups:
            for param in group["params"]:
                self.state[param] = self._init_state(param, group)
        optimizer._lookahead = self

    def _init_state(self, param, group):
        state = {"slow_params": param.array.copy()}
        if self.pullback_momentum == "pullback":
            state["slow_momentum"] = backend.xp.zeros_like(param.array)
        return state

    @property
    def param_groups(self):
        """The inner optimizer's param groups (a scheduler may attach to either)."""
        return self.base_optimizer.param_groups

    @property
    def needs_closure(self):
        """Whether ``step`` needs a closure: the inner optimizer's (SAM inside needs one)."""
        return bool(getattr(self.base_optimizer, "needs_closure", False))

    @property
    def executor(self):
        """The inner optimizer's executor (Lookahead's rule runs on it too)."""
        return self.base_optimizer.executor

    @executor.setter
    def executor(self, executor):
        self.base_optimizer.executor = executor

    def add_param_group(self, param_group):
        """Add a group to the inner optimizer; its slow weights start at its values."""
        self.base_optimizer.add_param_group(param_group)
        group = self.param_groups[-1]
        for param in group["params"]:
            self.state[param] = self._init_state(param, group)

    def step(self, closure=None):
        """The inner step; every k-th call, sync slow and fast weights."""
        loss = self.base_optimizer.step(closure)
        self.counter += 1
        if self.counter >= self.k:
            self.counter = 0
            self._sync()
        return loss

    def _sync(self):
        params = [p for group in self.param_groups for p in group["params"] if p.grad is not None]
        self.executor.run(lookahead_rule, [([p.array, p.grad.array, self.state[p]["slow_params"]],
                                            (self.alpha,)) for p in params])
        if self.pullback_momentum == "reset":
            for param in params:
                self.base_optimizer.state[param]["momentum_buffer"] = \
                    backend.xp.zeros_like(param.array)
        elif self.pullback_momentum == "pullback":
            updates = []
            for param in params:
                inner = self.base_optimizer.state[param]
                if inner.get("momentum_buffer") is None:
                    inner["momentum_buffer"] = backend.xp.zeros_like(param.array)
                updates.append(([inner["momentum_buffer"], param.grad.array,
                                 self.state[param]["slow_momentum"]], (self.alpha,)))
            self.executor.run(lookahead_rule, updates)

    def state_bytes(self):
        """The inner optimizer's state bytes plus the slow weights (and slow momenta)."""
        return self.base_optimizer.state_bytes() + state_memory.state_bytes(self)

    def state_dict(self):
        """``{'base_optimizer': inner state_dict, 'lookahead': slow weights, counter, k, α}``."""
        index_of = {}
        for group in self.param_groups:
            for param in group["params"]:
                index_of[id(param)] = len(index_of)
        slow = {index_of[id(p)]: {k: v.copy() for k, v in entry.items()}
                for p, entry in self.state.items()}
        return {"base_optimizer": self.base_optimizer.state_dict(),
                "lookahead": {"state": slow, "counter": self.counter, "k": self.k,
                              "alpha": self.alpha, "pullback_momentum": self.pullback_momentum}}

    def load_state_dict(self, state_dict):
        """Restore the inner optimizer, the slow weights and the counter (all checked first)."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"base_optimizer", "lookahead"}:
            raise ValueError("Lookahead.load_state_dict expects a dict with keys "
                             "'base_optimizer' and 'lookahead' (from Lookahead.state_dict())")
        saved = state_dict["lookahead"]
        params = [p for group in self.param_groups for p in group["params"]]
        keys = set(self._init_state(params[0], self.param_groups[0]))
        if set(saved["state"]) != set(range(len(params))) or any(
                set(entry) != keys or entry["slow_params"].shape != p.shape
                for p, entry in zip(params, (saved["state"].get(i, {})
                                             for i in range(len(params))))):
            raise ValueError(f"the loaded Lookahead state does not match these {len(params)} "
                             f"parameters (keys {sorted(keys)} each, with their shapes)")
        if saved["pullback_momentum"] != self.pullback_momentum:
            raise ValueError(f"the loaded state has pullback_momentum="
                             f"{saved['pullback_momentum']!r}, this Lookahead "
                             f"{self.pullback_momentum!r}")
        self.base_optimizer.load_state_dict(state_dict["base_optimizer"])
        self.state = {p: {k: copy_value(v, like=p.array) for k, v in saved["state"][i].items()}
                      for i, p in enumerate(params)}
        self.counter, self.k, self.alpha = saved["counter"], saved["k"], saved["alpha"]

    def __repr__(self):
        return (f"Lookahead(k={self.k}, alpha={self.alpha}, pullback_momentum="
                f"{self.pullback_momentum!r},\n{self.base_optimizer!r})")
