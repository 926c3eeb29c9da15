"""``Module``: the base of every layer, holding parameters, buffers and sub-modules.

Assigning a ``Parameter`` or a ``Module`` as an attribute registers it, so
``parameters()`` and ``state_dict()`` find everything without bookkeeping in
the layer, exactly as in PyTorch.
"""
from collections import OrderedDict

from .. import backend
from ..autograd import Tensor
from .parameter import Parameter


class Module:
    """Base class for layers and models: subclass it and define ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
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
            # a plain attribute of that name (e.g. ``self.bias = None``) would shadow it
            self.__dict__.pop(name, None)
            registry = self._parameters if isinstance(value, Parameter) else self._modules
            registry[name] = value
        elif name in self._parameters or name in self._modules:  # value is None here
            (self._parameters if name in self._parameters else self._modules)[name] = None
        elif name in self.__dict__.get("_buffer_names", ()):
            self._buffers[name] = value if value is None or isinstance(value, Tensor) \
                else Tensor(value)
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
                return
        object.__delattr__(self, name)

    def register_buffer(self, name, value):
        """Register a non-trainable tensor (e.g. BatchNorm's running mean) saved in state_dict."""
        _check_name("buffer", name)
        if "_buffer_names" not in self.__dict__:
            object.__setattr__(self, "_buffer_names", set())
        self._buffer_names.add(name)
        self.__dict__.pop(name, None)
        self._buffers[name] = value if value is None or isinstance(value, Tensor) else Tensor(value)

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
    def named_modules(self, prefix="", remove_duplicate=True):
        """Yield ``(name, module)`` for this module and every descendant, depth first.

        A module reachable under several names is yielded once, under the
        first, unless ``remove_duplicate=False``.
        """
        seen, stack = set(), [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate and id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child}" if name else child, m)
                        for child, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        """Yield this module and every descendant."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield ``(name, module)`` for the direct sub-modules."""
        yield from ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        """Yield the direct sub-modules."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        seen = set()
        modules = self.named_modules(prefix, remove_duplicate) if recurse else [(prefix, self)]
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
        """Yield ``(dotted_name, buffer)`` for every registered buffer."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Yield every buffer (e.g. BatchNorm's running statistics)."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn):
        """Call ``fn`` on every submodule (children first, each subtree in order), then on
        this module, as PyTorch's ``apply`` does; return self."""
        for child in self.children():
            child.apply(fn)
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
        parameters then its buffers; shared tensors appear under every name, as in PyTorch."""
        for module_name, module in self.named_modules(remove_duplicate=False):
            for registry in (module._parameters, module._buffers):
                for name, value in registry.items():
                    if value is not None:
                        yield (f"{module_name}.{name}" if module_name else name), value

    def state_dict(self):
        """An ordered dict of copies of every parameter and buffer array, by dotted name."""
        return OrderedDict((name, value.array.copy()) for name, value in self._state_tensors())

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from ``state_dict`` into the parameters and buffers, in place.

        Every key is checked before anything is written: with ``strict`` a
        missing or unexpected key raises, and a shape mismatch always raises,
        each naming the keys, so a failed load changes nothing.
        Returns ``(missing_keys, unexpected_keys)``.
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
        for key, target in targets.items():
            if key in state_dict:
                shape = tuple(getattr(state_dict[key], "shape", ()))
                if shape != target.shape:
                    problems.append(f"size mismatch for {key}: checkpoint has shape {shape}, "
                                    f"the model has {target.shape}")
        if problems:
            raise ValueError(f"error loading state_dict into {type(self).__name__}: "
                             + "; ".join(problems))
        for key, target in targets.items():
            if key in state_dict:
                value = state_dict[key]
                value = value.array if isinstance(value, Tensor) else value
                target.array[...] = backend.asarray(value)
        return missing, unexpected

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


def _check_name(kind, name):
    if not isinstance(name, str) or not name or "." in name:
        raise KeyError(f"{kind} name must be a non-empty string without '.', got {name!r}")
