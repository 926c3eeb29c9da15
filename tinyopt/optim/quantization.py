r"""Block-wise dynamic 8-bit quantization, the storage format of 8-bit optimizer state.

Dettmers, Lewis, Shleifer & Zettlemoyer (2022), "8-bit Optimizers via
Block-wise Quantization", as bitsandbytes implements it. A tensor x is cut
into blocks of ``block_size`` consecutive elements (flattened, the last
block possibly shorter); each block b keeps one float32 scale and one byte
per element::

    N_b  ← max_{i in b} |x_i|                     the block's absmax
    q_i  ← argmin_k |code[k] - x_i / N_b|         nearest of the 256 code values
    x̃_i  ← code[q_i] · N_b                        dequantized

Why blocks: one outlier only spoils the precision of its own block, and
each block is quantized independently (in parallel on a GPU).

Why a dynamic (non-linear) code: optimizer moments span many orders of
magnitude, so the 256 values are spread over decades like a tiny float:
for the k-th decade 10^(k-6) (k = 0..6) the code has 2^k values (signed) or
2^(k+1) (unsigned), the midpoints of an even split of [0.1, 1] scaled by
10^(k-6); plus 0 and 1. Relative precision is thus roughly constant from
1e-6 up to 1 (a linear code would round everything below 1/255 to zero).
The signed code (first moment, which has a sign) spends one value per
magnitude on each sign; the unsigned one (second moment, >= 0) spends
both on positive values and is twice as fine.

Round-trip error: with sorted code values c_0 < ... < c_255 and gaps
Δ_k = c_(k+1) - c_k, every element of a block is off by at most N_b · Δ/2
for the gap Δ around its normalized value, so at most
N_b · max_k Δ_k / 2 (``max_roundtrip_error``) — the top decade has the
widest gaps: 0.9/64 for the signed code, 0.9/128 for the unsigned one.

Everything goes through ``backend.xp``: the codes are ``uint8`` arrays
shaped like x, the scales a float32 vector of ceil(size / block_size).
"""
import math

from .. import backend

_MAPS = {}


def create_dynamic_map(signed=True):
    """The 256 sorted values of the 8-bit dynamic code, in [-1, 1], as float32.

    The values of bitsandbytes' ``create_dynamic_map(signed)`` (7 exponent
    bits; computed here in float64, so some differ from its float32
    arithmetic in the last bit): ``signed`` spends them on both signs (first moment); unsigned on
    [0, 1] only, with twice the resolution per decade (second moment).
    """
    values = [0.0, 1.0]
    for decade in range(7):  # [0.1, 1] x 10^(decade - 6)
        count = 2 ** decade if signed else 2 ** (decade + 1)
        boundaries = [0.1 + 0.9 * i / count for i in range(count + 1)]
        means = [(low + high) / 2 for low, high in zip(boundaries[:-1], boundaries[1:])]
        scale = 10.0 ** (decade - 6)
        values += [scale * mean for mean in means]
        if signed:
            values += [-scale * mean for mean in means]
    assert len(values) == 256
    return backend.xp.asarray(sorted(values), dtype=backend.xp.float32)


def dynamic_map(signed):
    """The cached 256-value dynamic code (``create_dynamic_map(signed)``) for this backend."""
    return _tables(signed)[0]


def _tables(signed):
    """(code, midpoints padded with +inf, bucket table) for this backend, built once."""
    key = (backend.xp.__name__, bool(signed))
    if key not in _MAPS:
        xp = backend.xp
        code = create_dynamic_map(signed)
        midpoints = (code[:-1] + code[1:]) / 2  # x is nearest to code[k] iff it lies between
        # The bucket table: for each value of a float32's top 17 bits (sign, exponent, 8
        # mantissa bits), the nearest-code search's answer at the bucket's lowest value.
        # A bucket spans a relative width of 2^-8, narrower than any two midpoints apart
        # (>= 0.7%), so at most one midpoint falls inside it and one comparison finishes
        # the search: the same answer as searchsorted(midpoints, x), several times faster.
        buckets = xp.arange(2 ** 17, dtype=xp.uint32) << 15
        negative = buckets >= 2 ** 31
        lowest = xp.where(negative, buckets | 0x7FFF, buckets).view(xp.float32)
        table = xp.searchsorted(midpoints, lowest).astype(xp.uint8)
        padded = xp.concatenate([midpoints, xp.asarray([xp.inf], dtype=xp.float32)])
        _MAPS[key] = (code, padded, table)
    return _MAPS[key]


def nearest_code(normalized, signed):
    """For values in [-1, 1] (float32), the index of the nearest code value (uint8).

    Equal to ``searchsorted(midpoints, normalized)`` (ties go to the lower code).
    """
    _, midpoints, table = _tables(signed)
    start = table[normalized.view(backend.xp.uint32) >> 15]
    return start + (normalized > midpoints[start])


def zero_code(signed):
    """The code (index) whose value is exactly 0 (read to the host once per backend)."""
    key = (backend.xp.__name__, bool(signed))
    if key not in _ZERO_CODES:
        _ZERO_CODES[key] = int(backend.to_host(backend.xp.searchsorted(dynamic_map(signed), 0.0)))
    return _ZERO_CODES[key]


_ZERO_CODES = {}


def number_of_blocks(size, block_size):
    """How many scales a tensor of ``size`` elements needs: ceil(size / block_size)."""
    return max(1, math.ceil(size / block_size))


def quantize_blockwise(x, signed, block_size=256):
    """Quantize ``x`` to ``(codes, absmax)``: uint8 codes shaped like x, one float32 scale per block.

    ``signed`` picks the code: True for values of either sign, False for
    values >= 0 (negative ones would clip to 0).
    """
    xp = backend.xp
    flat = xp.asarray(x, dtype=xp.float32).reshape(-1)
    blocks_count = number_of_blocks(flat.size, block_size)
    padded = xp.zeros(blocks_count * block_size, dtype=xp.float32)
    padded[:flat.size] = flat
    blocks = padded.reshape(blocks_count, block_size)
    absmax = xp.max(xp.abs(blocks), axis=1)
    normalized = blocks / xp.where(absmax == 0, 1, absmax)[:, None]
    codes = nearest_code(normalized.reshape(-1), signed)
    return codes[:flat.size].reshape(x.shape), absmax


def dequantize_blockwise(codes, absmax, signed, block_size=256, dtype=None):
    """The values ``code[codes] · absmax`` of each block, shaped like ``codes``, as ``dtype``."""
    xp = backend.xp
    flat = codes.reshape(-1)
    scales = xp.repeat(absmax, block_size)[:flat.size]
    values = dynamic_map(signed)[flat] * scales
    return values.reshape(codes.shape).astype(dtype or xp.float32, copy=False)


def max_roundtrip_error(absmax, signed):
    """Per block, the largest possible |x - dequantize(quantize(x))|: N_b · max gap / 2."""
    code = dynamic_map(signed)
    return absmax * float(backend.xp.max(code[1:] - code[:-1])) / 2
