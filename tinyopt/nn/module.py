"""``Module``: the base of every layer, holding parameters, buffers and sub-modules.

Assigning a ``Parameter`` or a ``Module`` as an attribute registers it, so
``parameters()`` and ``state_dict()`` find everything without bookkeeping in
the layer, exactly as in PyTorch. Buffers (``register_buffer``) are state
that is not trained, such as BatchNorm's running statistics; persistent ones
are saved in ``state_dict``.
"""
from collections import OrderedDict, namedtuple

from .. import backend
from ..autograd import Tensor
from .parameter import Parameter


class Module:
    """Base class for layers and models: subclass it and define ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"call Module.__init__() in {type(self).__name__}.__init__ "
                                 "before assigning attributes")
        for kind, registry, cls in (("parameter", self._parameters, Parameter),
                                    ("module", self._modules, Module)):
            # PyTorch's rule: a registered slot takes its own kind or None, so that
            # ``layer.weight = layer.weight - lr * g`` fails loudly instead of
            # silently turning the parameter into a plain, untrained attribute
            if name in registry and value is not None and not isinstance(value, cls):
                hint = f"; update {name}.array in place instead" if kind == "parameter" else ""
                raise TypeError(f"cannot assign {type(value).__name__} as {kind} {name!r} "
                                f"({cls.__name__} or None expected){hint}")
        if isinstance(value, (Parameter, Module)):
            for registry in (self._parameters, self._buffers, self._modules):
                registry.pop(name, None)
            self._non_persistent_buffers_set.discard(name)
            # a plain attribute of that name (e.g. ``self.bias = None``) would shadow it
            self.__dict__.pop(name, None)
            registry = self._parameters if isinstance(value, Parameter) else self._modules
            registry[name] = value
        elif name in self._parameters or name in self._modules:  # value is None here
            (self._parameters if name in self._parameters else self._modules)[name] = None
        elif name in self._buffers:
            self.register_buffer(name, value, name not in self._non_persistent_buffers_set)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def register_buffer(self, name, tensor, persistent=True):
        """Register a non-trainable tensor (e.g. BatchNorm's running mean) as ``name``.

        A buffer moves with the module and is found by ``buffers()``; a
        ``persistent`` one is also saved in ``state_dict``. ``tensor`` is a
        Tensor, a backend array (wrapped in a Tensor) or None (an absent
        buffer, left out of ``state_dict``). Assigning to the name later
        replaces the buffer and keeps its persistence, as in PyTorch.
        """
        _check_name("buffer", name)
        if name not in self._buffers and hasattr(self, name):
            raise KeyError(f"attribute {name!r} already exists")
        if isinstance(tensor, backend.xp.ndarray):
            tensor = Tensor(tensor)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer {name!r} "
                            "(a Tensor, an array or None is expected)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None for an absent one) under ``name``."""
        _check_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot register {type(param).__name__} as parameter {name!r} "
                            "(a Parameter or None is expected)")
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def add_module(self, name, module):
        """Register ``module`` (or None) as a sub-module called ``name``."""
        _check_name("module", name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module")
        self.__dict__.pop(name, None)
        self._modules[name] = module

    def forward(self, *args, **kwargs):
        """The computation; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # --------------------------------------------------------------- traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(name, module)`` for this module and every descendant, depth first
        (PyTorch's order: a module, then each child's subtree in registration order).

        A module reachable under several names is yielded once, under the
        first, unless ``remove_duplicate=False``; ``memo`` is the set of
        modules already yielded, as in PyTorch's signature.
        """
        memo = set() if memo is None else memo
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                                remove_duplicate)

    def modules(self):
        """Yield this module and every descendant, each once."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield ``(name, module)`` for the direct sub-modules, each module once."""
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def children(self):
        """Yield the direct sub-modules."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted_name, parameter)``; a shared parameter once, under its first name."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Yield every parameter (what an optimizer is built from), each once."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted_name, buffer)`` for every buffer, persistent or not."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Yield every buffer (e.g. BatchNorm's running statistics)."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn):
        """Call ``fn`` on each child's subtree (recursively), then on this module; return self.

        The typical use is initialisation, ``model.apply(init_weights)``. The
        order is PyTorch's: post-order, children in registration order; a
        module that is a child of two parents is visited under each.
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes
    def train(self, mode=True):
        """Set training mode (dropout active, batch statistics) here and below."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Set evaluation mode (dropout off, running statistics)."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Switch gradient recording for every parameter (e.g. to freeze a layer); return self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    # ------------------------------------------------------- dtype and device
    def to(self, *args, **kwargs):
        """Move and/or cast every parameter and buffer in place (``to(device)``, ``to(dtype)``,
        ``to(device, dtype)``, ``to(tensor)``); return self.

        The Parameter objects stay the same (an optimizer built on them keeps
        working), as in PyTorch; a dtype applies to floating-point tensors only.
        Gradients move with their parameters."""
        for tensor in list(self.parameters()) + list(self.buffers()):
            floating = backend.is_float(tensor.dtype)
            moved = tensor.detach().to(*_keep_dtype_unless(floating, args),
                                       **({} if floating else _no_dtype(kwargs)))
            if moved.array is not tensor.array:
                tensor.array = moved.array
                if tensor.grad is not None:
                    tensor.grad = tensor.grad.to(moved.device).to(moved.dtype)
        return self

    def cpu(self):
        """Every parameter and buffer in host memory; return self."""
        return self.to("cpu")

    def cuda(self, device=None):
        """Every parameter and buffer on a GPU; return self."""
        return self.to("cuda" if device is None else backend.device("cuda", device))

    def float(self): return self.to("float32")
    def double(self): return self.to("float64")
    def half(self): return self.to("float16")

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters (to None, or to zeros in place)."""
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.array[...] = 0

    # ------------------------------------------------------------- state dict
    def _state_tensors(self):
        """``(dotted_name, tensor)`` in PyTorch's state_dict order: module by module, its
        parameters then its persistent buffers; shared tensors appear under every name, as
        in PyTorch."""
        for module_name, module in self.named_modules(remove_duplicate=False):
            entries = list(module._parameters.items()) + [
                (name, buffer) for name, buffer in module._buffers.items()
                if name not in module._non_persistent_buffers_set]
            for name, value in entries:
                if value is not None:
                    yield (f"{module_name}.{name}" if module_name else name), value

    def state_dict(self):
        """An ordered dict of copies of every parameter and persistent buffer array, by name."""
        return OrderedDict((name, value.array.copy()) for name, value in self._state_tensors())

    def load_state_dict(self, state_dict, strict=True):
        """Copy the arrays of ``state_dict`` into the parameters and buffers, in place.

        Everything is checked before anything is written, so a failed load
        changes nothing: each value must convert to an array of the target's
        shape whose dtype casts to the target's within its kind (any number
        into a float, integers into an integer; not strings, objects or
        complex numbers), and with ``strict`` the keys must match exactly.
        Without ``strict`` missing and unexpected keys are allowed (and
        reported), but a bad shape or dtype still raises, as in PyTorch.
        Returns ``IncompatibleKeys(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"state_dict must be a dict of arrays by name, got "
                            f"{type(state_dict).__name__}")
        targets = OrderedDict(self._state_tensors())
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {unexpected}")
        arrays = OrderedDict()
        for key, target in targets.items():
            if key in state_dict:
                array, problem = _checked_value(key, state_dict[key], target)
                if problem:
                    problems.append(problem)
                arrays[key] = array
        if problems:
            raise ValueError(f"error loading state_dict into {type(self).__name__}: "
                             + "; ".join(problems))
        for key, array in arrays.items():
            targets[key].array[...] = array
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ print
    def extra_repr(self):
        """The constructor arguments shown by ``repr`` (layers override it)."""
        return ""

    def __repr__(self):
        extra = self.extra_repr().split("\n") if self.extra_repr() else []
        children = [f"({name}): " + repr(module).replace("\n", "\n  ")
                    for name, module in self.named_children()]
        if not children:
            return f"{type(self).__name__}({''.join(extra)})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(extra + children) + "\n)"


def _keep_dtype_unless(floating, args):
    """``to``'s positional arguments without dtypes, for an integer buffer."""
    if floating:
        return args
    return tuple(a for a in args if isinstance(a, (str, backend.device)) and
                 (a if isinstance(a, str) else a.type).partition(":")[0] in ("cpu", "cuda"))


def _no_dtype(kwargs):
    return {k: v for k, v in kwargs.items() if k != "dtype"}


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
IncompatibleKeys.__doc__ = ("What ``load_state_dict`` returns: the model's keys the state_dict "
                            "lacked, and the state_dict's keys the model has not.")


def _checked_value(key, value, target):
    """``(array, None)`` when ``value`` can be written into ``target``, else ``(None, problem)``."""
    try:
        array = backend.asarray(value.array if isinstance(value, Tensor) else value)
    except (TypeError, ValueError) as error:
        return None, f"{key}: cannot read {type(value).__name__} as an array ({error})"
    if array.shape != target.shape:
        return None, (f"size mismatch for {key}: checkpoint has shape {array.shape}, "
                      f"the model has {target.shape}")
    if not backend.xp.can_cast(array.dtype, target.dtype, "same_kind"):
        return None, (f"dtype mismatch for {key}: checkpoint has dtype {array.dtype}, which "
                      f"does not cast to the model's {target.dtype}")
    return array, None


def _check_name(kind, name):
    if not isinstance(name, str) or not name or "." in name:
        raise KeyError(f"{kind} name must be a non-empty string without '.', got {name!r}")
