"""The CUDA source of one rule's ``cupy.ElementwiseKernel``, written from its ``RuleForm``.

For ``sgd_rule(p, g, lr, weight_decay, maximize)`` on float32 the kernel is::

    in_params:  float32 g, raw float32 tinyopt_table, raw int64 tinyopt_starts,
                raw int64 tinyopt_stops, int64 tinyopt_segments
    out_params: float32 p
    operation:
        long long tinyopt_lo = 0, tinyopt_hi = tinyopt_segments;  // first segment ending after i
        while (tinyopt_lo < tinyopt_hi) { ... binary search in tinyopt_stops ... }
        if (tinyopt_lo < tinyopt_segments && tinyopt_starts[tinyopt_lo] <= i) {
            const long long tinyopt_row = tinyopt_lo * 3;
            const float lr = tinyopt_table[tinyopt_row + 0];
            const float weight_decay = tinyopt_table[tinyopt_row + 1];
            const bool maximize = tinyopt_table[tinyopt_row + 2] != 0;
            const float g_1 = (maximize ? (-g) : g);
            const float g_2 = (g_1 + (weight_decay * p));
            p = (p - (lr * g_2));
        }

One thread per element of the flat buffers (``i``); the segment search
finds the row of scalars of the parameter holding ``i`` (elements between
segments, parameters without a gradient, are left alone). Arrays the rule
returns are out params: CuPy passes them by reference, read first and
written once at the end, so a step reads and writes each array exactly once
(AdamW: 28 bytes per float32 parameter), like the numba loop.

Numbers as NumPy computes them: literals are cast to the array's type
(``float(0.9)``, not a double), ``maximum``/``minimum`` let NaN win (CUDA's
``fmax`` would drop it), ``sign`` keeps 0, -0 and NaN. Division and square
root are IEEE-rounded in CUDA by default; ``exp``/``log`` may differ from
NumPy's by an ulp or two.
"""
from typing import NamedTuple

C_TYPES = {"float32": "float", "float64": "double"}

PREAMBLE = """\
template <typename F> __device__ F tinyopt_sign(F x) {
    return x > F(0) ? F(1) : (x < F(0) ? F(-1) : x * F(0));  // 0, -0 and NaN stay
}
template <typename F> __device__ F tinyopt_maximum(F a, F b) {
    return (a >= b || a != a) ? a : b;  // NaN wins, as in NumPy
}
template <typename F> __device__ F tinyopt_minimum(F a, F b) {
    return (a <= b || a != a) ? a : b;
}
"""
"""Helpers the operations call, where CUDA's own functions treat NaN otherwise."""

_SEGMENT_SEARCH = """\
long long tinyopt_lo = 0, tinyopt_hi = tinyopt_segments;  // first segment ending after i
while (tinyopt_lo < tinyopt_hi) {
    const long long tinyopt_mid = (tinyopt_lo + tinyopt_hi) / 2;
    if (tinyopt_stops[tinyopt_mid] <= i) tinyopt_lo = tinyopt_mid + 1;
    else tinyopt_hi = tinyopt_mid;
}
if (tinyopt_lo < tinyopt_segments && tinyopt_starts[tinyopt_lo] <= i) {
"""

_FUNCTIONS = {"sqrt": "sqrt", "exp": "exp", "log": "log", "abs": "fabs"}
_HELPERS = {"sign": "tinyopt_sign", "maximum": "tinyopt_maximum", "minimum": "tinyopt_minimum"}
_OPERATORS = {"+", "-", "*", "/", "<", "<=", ">", ">=", "==", "!="}


class KernelSource(NamedTuple):
    """The arguments of ``cupy.ElementwiseKernel(in_params, out_params, operation, name,
    preamble=...)``."""

    in_params: str
    out_params: str
    operation: str
    name: str
    preamble: str


def kernel_source(form, dtype_name):
    """The ``KernelSource`` of ``form`` (a ``RuleForm``) for ``"float32"`` or ``"float64"``."""
    c_type = C_TYPES[dtype_name]
    inputs = [f"{dtype_name} {name}" for j, name in enumerate(form.arrays)
              if form.kept[j] and j == 1]
    inputs += [f"raw {dtype_name} tinyopt_table", "raw int64 tinyopt_starts",
               "raw int64 tinyopt_stops", "int64 tinyopt_segments"]
    outputs = [name for j, name in enumerate(form.arrays) if form.kept[j] and j != 1]
    width = len(form.scalars)
    lines = [f"const long long tinyopt_row = tinyopt_lo * {width};"]
    for n, (name, flag) in enumerate(zip(form.scalars, form.flags)):
        declared = "bool" if flag else c_type
        lines.append(f"const {declared} {name} = tinyopt_table[tinyopt_row + {n}]"
                     + (" != 0;" if flag else ";"))
    for name, value in form.assignments:
        declared = "bool" if value.kind == "bool" else c_type
        lines.append(f"const {declared} {name} = {c_expression(value, c_type)};")
    targets = [name for j, name in enumerate(form.arrays) if j != 1]
    for target, value, j in zip(targets, form.results, [0, *range(2, len(form.arrays))]):
        if form.kept[j]:
            lines.append(f"{target} = {c_expression(value, c_type)};")
    operation = _SEGMENT_SEARCH + "".join(f"    {line}\n" for line in lines) + "}\n"
    pattern = "_".join("".join("1" if bit else "0" for bit in bits)
                       for bits in (form.kept, form.flags))
    return KernelSource(", ".join(inputs), ", ".join(f"{dtype_name} {name}" for name in outputs),
                        operation, f"tinyopt_{form.name}_{dtype_name}_{pattern}", PREAMBLE)


def c_expression(expr, c_type):
    """One ``Expr`` as C++ (fully parenthesised: no precedence to get wrong)."""
    op, args = expr.op, expr.args
    if op == "name":
        return args[0]
    if op == "const":
        value = args[0]
        if isinstance(value, bool):
            return "true" if value else "false"
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"a rule literal must be finite, got {value}")
        return f"{c_type}({value!r})"
    parts = [c_expression(arg, c_type) for arg in args]
    if op == "neg":
        return f"(-{parts[0]})"
    if op == "not":
        return f"(!{parts[0]})"
    if op in _OPERATORS:
        return f"({parts[0]} {op} {parts[1]})"
    if op in ("and", "or"):
        return f"({parts[0]} {'&&' if op == 'and' else '||'} {parts[1]})"
    if op == "**":
        return f"pow({c_type}({parts[0]}), {c_type}({parts[1]}))"
    if op == "where":
        return f"({parts[0]} ? {parts[1]} : {parts[2]})"
    if op in _FUNCTIONS:
        return f"{_FUNCTIONS[op]}({c_type}({parts[0]}))"
    if op in _HELPERS:
        return f"{_HELPERS[op]}<{c_type}>({', '.join(parts)})"
    raise ValueError(f"no C form for {op!r}")
