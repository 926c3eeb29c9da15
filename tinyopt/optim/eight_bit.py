r"""8-bit Adam, AdamW and Lion: the same rules, with the moments stored in one byte each.

Dettmers, Lewis, Shleifer & Zettlemoyer (2022), "8-bit Optimizers via
Block-wise Quantization"; class names as in bitsandbytes (``Adam8bit``,
``AdamW8bit``, ``Lion8bit``). Each step, for a parameter with at least
``min_8bit_size`` elements::

    m, v ← dequantize(state)             float values from codes and block scales
    θ, m, v ← rule(θ, g, m, v, ...)       adam_rule or lion_rule, unchanged, in float
    state ← quantize(m), quantize(v)      requantize with fresh block scales

The first moment uses the signed dynamic code, the second (>= 0) the
unsigned one; see ``quantization.py``. θ is updated with the float moments
of this step; only what is *kept* for the next step is rounded. Smaller
tensors (biases, norms: < 4096 elements by default) keep float moments, as
bitsandbytes does: their memory is negligible and they are the most
sensitive to rounding.

Memory per parameter: Adam's 8 bytes (float32 m and v) become 2 bytes of
codes plus 2 x 4 bytes of absmax per ``block_size`` elements: 2.03 bytes
with blocks of 256, 2.004 with 2048 (the paper's). Lion8bit: 1.016.

How it runs: dequantization (a table look-up and a per-block scale) and
requantization (a per-block max, then a nearest-value search) are
gathers and reductions, done with ``backend.xp``; the update itself is the
elementwise rule of ``adam.py`` / ``lion.py``, through ``self.executor``.

State per parameter: ``step``; ``exp_avg`` (and ``exp_avg_sq``) as uint8
codes shaped like θ plus ``exp_avg_absmax`` (``exp_avg_sq_absmax``), float32
vectors of one scale per block — bitsandbytes names them ``state1``,
``absmax1``, ...; for small tensors, float ``exp_avg`` (``exp_avg_sq``) of
θ's dtype, as Adam's.

Lecture vs bitsandbytes: bitsandbytes keeps the two 256-value maps in every
parameter's state; here they are constants of ``quantization``. Its
``Adam8bit`` applies ``weight_decay`` decoupled (as AdamW); here ``Adam8bit``
follows ``torch.optim.Adam`` (L2 in the gradient) and ``AdamW8bit``
decouples.
"""
from .. import backend
from .adam import adam_rule
from .hyperparameters import check_betas, check_flag, check_lr, check_range, plain_numbers
from .lion import lion_rule
from .optimizer import Optimizer
from .quantization import (dequantize_blockwise, number_of_blocks, quantize_blockwise,
                           zero_code)
from .state_layout import OwnStateLayout

MOMENTS = (("exp_avg", True), ("exp_avg_sq", False))
"""The moments' state names, each with whether its code is signed."""


class Optimizer8bit(OwnStateLayout, Optimizer):
    """Base of the 8-bit optimizers: dequantize, run ``rule`` through the executor, requantize.

    Subclasses set ``rule`` and ``moments`` (a prefix of ``MOMENTS``) and
    give ``_scalars(group, state)``, the rule's scalars after its arrays.
    """

    rule = None
    moments = MOMENTS
    unused_arrays = ()

    def _check_8bit_options(self, group):
        check_range("block_size", group["block_size"], 1)
        if int(group["block_size"]) != group["block_size"]:
            raise ValueError(f"block_size must be a whole number, got {group['block_size']!r}")
        check_range("min_8bit_size", group["min_8bit_size"], 0)
        check_flag("maximize", group["maximize"])

    @staticmethod
    def quantized(param, group):
        """Whether ``param``'s moments are stored in 8 bits (it has >= min_8bit_size elements)."""
        return param.array.size >= group["min_8bit_size"]

    def _init_state(self, param, group):
        xp = backend.xp
        state = {"step": 0}
        for name, signed in self.moments:
            if self.quantized(param, group):
                # The value 0 sits mid-table in the signed code (code 0 is about -1).
                zero = zero_code(signed)
                state[name] = xp.full(param.array.shape, zero, dtype=xp.uint8)
                blocks = number_of_blocks(param.array.size, group["block_size"])
                state[name + "_absmax"] = xp.zeros(blocks, dtype=xp.float32)
            else:
                state[name] = xp.zeros_like(param.array)
        return state

    def _update_parameters(self):
        """One update of every parameter with a gradient: dequantize, update, requantize."""
        for group in map(plain_numbers, self.param_groups):
            updates, requantize = [], []
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state.update(self._init_state(param, group))
                state["step"] += 1
                moments = [self._float_moment(param, group, state, name, signed)
                           for name, signed in self.moments]
                updates.append(([param.array, param.grad.array, *moments, *self.unused_arrays],
                                self._scalars(group, state)))
                if self.quantized(param, group):
                    requantize.append((state, moments, group["block_size"]))
            if updates:
                self.executor.run(self.rule, updates)            # the elementwise update
            for state, moments, block_size in requantize:         # keep 8 bits of it
                for (name, signed), moment in zip(self.moments, moments):
                    state[name], state[name + "_absmax"] = quantize_blockwise(
                        moment, signed, block_size)

    def _float_moment(self, param, group, state, name, signed):
        if not self.quantized(param, group):
            return state[name]  # updated in place by the executor
        return dequantize_blockwise(state[name], state[name + "_absmax"], signed,
                                    group["block_size"], dtype=param.array.dtype)


class Adam8bit(Optimizer8bit):
    """Adam (``adam_rule``) with block-wise 8-bit moments (bitsandbytes' ``Adam8bit``).

    Args:
        params: Parameters or param-group dicts.
        lr, betas, eps, weight_decay, maximize: as ``Adam`` (weight_decay
            is L2, in the gradient).
        block_size: elements per quantization block, each with one float32
            absmax (default 256; the paper used 2048).
        min_8bit_size: tensors with fewer elements keep float moments
            (default 4096, as bitsandbytes).

    Example::

        >>> opt = Adam8bit(model.parameters(), lr=1e-3)
        >>> opt.step(); opt.state_bytes() / n_params    # about 2.03, Adam's is 8
    """

    rule = staticmethod(adam_rule)
    unused_arrays = (None,)  # adam_rule's AMSGrad maximum: not kept

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 block_size=256, min_8bit_size=4096, maximize=False,
                 decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        block_size=block_size, min_8bit_size=min_8bit_size, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_betas(group["betas"])
        check_range("eps", group["eps"], 0)
        check_range("weight_decay", group["weight_decay"], 0)
        check_flag("decoupled_weight_decay", group["decoupled_weight_decay"])
        self._check_8bit_options(group)

    def _scalars(self, group, state):
        beta1, beta2 = group["betas"]
        bc1, bc2 = 1 - beta1 ** state["step"], 1 - beta2 ** state["step"]
        return (group["lr"], beta1, beta2, group["eps"], group["weight_decay"], bc1, bc2, False,
                group["decoupled_weight_decay"], group["maximize"])


class AdamW8bit(Adam8bit):
    """AdamW with block-wise 8-bit moments (bitsandbytes' ``AdamW8bit``); arguments as Adam8bit.

    The default ``weight_decay`` is 1e-2, decoupled, as ``torch.optim.AdamW``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, *,
                 block_size=256, min_8bit_size=4096, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, block_size=block_size,
                         min_8bit_size=min_8bit_size, maximize=maximize,
                         decoupled_weight_decay=True)

    def _check_hyperparameters(self, group):
        super()._check_hyperparameters(group)
        if group["decoupled_weight_decay"] is not True:
            raise ValueError("AdamW8bit always has decoupled_weight_decay=True; for L2 weight "
                             "decay use Adam8bit (this may be a state dict saved from Adam8bit)")


class Lion8bit(Optimizer8bit):
    """Lion (``lion_rule``) with its one moment in block-wise 8 bits (bitsandbytes' ``Lion8bit``).

    Args:
        params: Parameters or param-group dicts.
        lr, betas, weight_decay, maximize: as ``Lion`` (defaults 1e-4,
            (0.9, 0.99), 0).
        block_size, min_8bit_size: as ``Adam8bit``.
    """

    rule = staticmethod(lion_rule)
    moments = MOMENTS[:1]

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, *, block_size=256,
                 min_8bit_size=4096, maximize=False):
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay, block_size=block_size,
                        min_8bit_size=min_8bit_size, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_betas(group["betas"])
        check_range("weight_decay", group["weight_decay"], 0)
        self._check_8bit_options(group)

    def _scalars(self, group, state):
        beta1, beta2 = group["betas"]
        return (group["lr"], beta1, beta2, group["weight_decay"], group["maximize"])


__all__ = ["Adam8bit", "AdamW8bit", "Lion8bit", "Optimizer8bit"]
