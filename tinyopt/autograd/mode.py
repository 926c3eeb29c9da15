"""Gradient mode: whether operations record the graph (``no_grad``, ``enable_grad``)."""
import functools
import threading

_state = threading.local()


def is_grad_enabled():
    """True when new operations record their graph for ``backward``."""
    return getattr(_state, "enabled", True)


def set_grad_enabled(enabled):
    """Turn graph recording on or off (prefer the ``no_grad`` context manager)."""
    _state.enabled = bool(enabled)


class _GradMode:
    """Context manager and decorator that sets gradient mode inside its block."""

    enabled = True

    def __new__(cls, function=None):
        # ``@no_grad`` without parentheses decorates directly, as in PyTorch
        if function is not None:
            return cls()(function)
        return super().__new__(cls)

    def __enter__(self):
        self.previous = is_grad_enabled()
        set_grad_enabled(self.enabled)
        return self

    def __exit__(self, *exc):
        set_grad_enabled(self.previous)

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return function(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Operations inside ``with no_grad():`` build no graph (evaluation, optimizer steps)."""

    enabled = False


class enable_grad(_GradMode):
    """Operations inside ``with enable_grad():`` record the graph even under ``no_grad``."""

    enabled = True


def autocast_dtype():
    """The low-precision dtype matmul-like ops compute in under ``amp.autocast`` (or None)."""
    return getattr(_state, "autocast", None)


def set_autocast_dtype(dtype):
    """Set (or, with None, clear) the dtype ``autocast_dtype`` returns; see ``tinyopt.amp``."""
    _state.autocast = dtype
