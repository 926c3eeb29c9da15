"""A rule's source read into a small typed expression form: what GPU kernels are made from.

The numba executor compiles a rule's bytecode; a CUDA kernel needs C source,
so the CuPy executor reads the rule's Python source instead (``ast``) and
turns it into a ``RuleForm``: the rule's assignments in single-assignment
form (each re-assigned name gets a fresh one: ``g``, ``g_1``, ...), every
expression typed ``float`` (the array's dtype) or ``bool``. Two writers read
the same form: ``cuda_source`` (the ``cupy.ElementwiseKernel`` operation)
and ``kernel_twin`` (the very same arithmetic in the array module, which is
how the CPU tests check what the GPU would compute).

What a rule may contain is what ``elementwise_math`` allows: assignments to
names, one ``return`` of names-or-expressions, ``+ - * / **``, unary ``-``,
one comparison at a time (``a < b``), ``&``/``|``/``~`` on conditions, number
literals, and calls of ``RULE_FUNCTIONS``. Anything else raises
``RuleSourceError`` naming the rule and the line.

A rule object whose code does not match its source text (the same
arguments, names and constants: a rule made with ``types.FunctionType`` from
another rule's code, or a file edited after import) is refused: a kernel
built from the wrong source would compute something else silently.
"""
import ast
import inspect
import textwrap
import types
from typing import NamedTuple

from . import elementwise_math

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
           ast.BitAnd: "and", ast.BitOr: "or"}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
            ast.NotEq: "!="}
_CPP_WORDS = frozenset("""i auto bool break case char const continue default delete do double
    else enum extern float for goto if int long new register return short signed sizeof static
    struct switch this template typedef typename union unsigned void volatile while""".split())
RESERVED_PREFIX = "tinyopt_"
"""Names the generated kernel uses for itself (segment search, scalar table)."""


class RuleSourceError(ValueError):
    """A rule the GPU executor cannot translate (the message names the rule and the line)."""


class Expr(NamedTuple):
    """One typed expression: ``op`` with ``args``, of ``kind`` ``"float"`` or ``"bool"``.

    ``op`` is ``"name"`` (args: the name), ``"const"`` (args: the value),
    ``"neg"``, ``"not"``, a binary operator (``"+"``, ``"<"``, ``"and"``, ...)
    or a function of ``RULE_FUNCTIONS`` (``"sqrt"``, ``"where"``, ...).
    """

    op: str
    args: tuple
    kind: str


class RuleForm(NamedTuple):
    """A rule read for one pattern of kept arrays and bool scalars."""

    name: str
    arrays: tuple
    """The rule's array arguments' names: ``(param, grad, *state)``."""
    kept: tuple
    """Whether each array exists (an absent one reads as 0.0, its result is dropped)."""
    scalars: tuple
    """The names of the per-step scalars that follow the arrays."""
    flags: tuple
    """Whether each scalar is a bool."""
    assignments: tuple
    """``(name, Expr)`` pairs in order; every name is assigned once."""
    results: tuple
    """The returned expressions: new ``param``, then each state array."""


def read_rule(rule, kept, flags):
    """The ``RuleForm`` of ``rule`` for ``kept`` arrays (bools) and ``flags`` (bool scalars)."""
    tree = _parse(rule)
    arguments = [a.arg for a in tree.args.args]
    if len(arguments) != len(kept) + len(flags):
        raise RuleSourceError(f"{rule.__name__} takes {len(arguments)} arguments, got "
                              f"{len(kept)} arrays and {len(flags)} scalars")
    reader = _Reader(rule, _all_names(tree))
    for position, name in enumerate(arguments):
        reader.check_name(name, tree)
        if position < len(kept):
            reader.env[name] = Expr("name", (name,), "float") if kept[position] else \
                Expr("const", (0.0,), "float")
        else:
            kind = "bool" if flags[position - len(kept)] else "float"
            reader.env[name] = Expr("name", (name,), kind)
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    results = None
    for statement in body:
        if results is not None:
            raise reader.error(statement, "statements after return")
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name):
            reader.assign(statement.targets[0].id, reader.expr(statement.value), statement)
        elif isinstance(statement, ast.Return) and statement.value is not None:
            values = statement.value.elts if isinstance(statement.value, ast.Tuple) \
                else [statement.value]
            results = tuple(reader.expr(value) for value in values)
        else:
            raise reader.error(statement, "only 'name = expression' and one final 'return'")
    if results is None:
        raise RuleSourceError(f"{rule.__name__} has no return")
    expected = 1 + max(len(kept) - 2, 0)
    if len(results) != expected:
        raise RuleSourceError(f"{rule.__name__} returns {len(results)} values for {expected} "
                              "arrays (param and state)")
    return RuleForm(rule.__name__, tuple(arguments[:len(kept)]), tuple(kept),
                    tuple(arguments[len(kept):]), tuple(flags), tuple(reader.assignments),
                    results)


def _parse(rule):
    if not isinstance(rule, types.FunctionType):
        raise RuleSourceError(f"a rule must be a plain function, got {type(rule).__name__}")
    try:
        source = textwrap.dedent(inspect.getsource(rule))
    except (OSError, TypeError):
        raise RuleSourceError(f"{rule.__name__}: its source is not available (a rule defined "
                              "in a file is needed to build a GPU kernel)") from None
    module = ast.parse(source)
    tree = module.body[0] if module.body else None
    if not isinstance(tree, ast.FunctionDef) or tree.name != rule.__name__:
        raise RuleSourceError(f"{rule.__name__}: its source is not a plain 'def'")
    arguments = tree.args
    if arguments.vararg or arguments.kwarg or arguments.kwonlyargs or arguments.defaults \
            or arguments.posonlyargs:
        raise RuleSourceError(f"{rule.__name__}: only positional arguments without defaults")
    # Compiling the bare def (no decorators, annotations or defaults) runs none of its code:
    # it only makes a function object to compare with the rule's.
    tree.decorator_list, tree.returns = [], None
    for argument in arguments.args:
        argument.annotation = None
    namespace = {}
    exec(compile(ast.Module([tree], []), "<rule>", "exec"), {}, namespace)
    if _signature(namespace[tree.name].__code__) != _signature(rule.__code__):
        raise RuleSourceError(f"{rule.__name__}: the function's code is not that of its source "
                              "text (made from another rule's code, or edited after import)")
    return tree


def _signature(code):
    """What a rule's source decides in its code: arguments, local and global names, constants.

    (Not the bytecode itself: it differs with where a function was compiled, e.g. a def
    nested in another function, or a test module rewritten by pytest.)"""
    return code.co_argcount, code.co_varnames, code.co_names, code.co_consts


def _all_names(tree):
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} | {
        a.arg for a in tree.args.args}


class _Reader:
    """Walks a rule's statements, keeping the current expression of each name."""

    def __init__(self, rule, taken):
        self.rule, self.taken = rule, set(taken)
        self.env, self.assignments, self.counts = {}, [], {}

    def error(self, node, what):
        return RuleSourceError(f"{self.rule.__name__}, line {node.lineno} of its def: {what} "
                               "is not allowed in a rule a GPU kernel is made from")

    def check_name(self, name, node):
        if name.startswith((RESERVED_PREFIX, "_")) or name in _CPP_WORDS:
            raise RuleSourceError(f"{self.rule.__name__}: the name {name!r} is reserved in the "
                                  f"kernel (i, C++ words, _..., {RESERVED_PREFIX}...)")

    def assign(self, name, value, node):
        self.check_name(name, node)
        fresh = name
        if name in self.env:  # an argument or an earlier result: the new value gets a new name
            number = self.counts.get(name, 0)
            while fresh in self.taken:
                number += 1
                fresh = f"{name}_{number}"
            self.counts[name] = number
        self.taken.add(fresh)
        self.assignments.append((fresh, value))
        self.env[name] = Expr("name", (fresh,), value.kind)

    def expr(self, node):
        if isinstance(node, ast.Name):
            if node.id not in self.env:
                raise self.error(node, f"the name {node.id!r} (not an argument or earlier result)")
            return self.env[node.id]
        if isinstance(node, ast.Constant) and type(node.value) in (bool, int, float):
            kind = "bool" if isinstance(node.value, bool) else "float"
            return Expr("const", (node.value if kind == "bool" else float(node.value),), kind)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Invert, ast.Not)):
            operand = self.expr(node.operand)
            if isinstance(node.op, ast.USub):
                return Expr("neg", (operand,), "float")
            return Expr("not", (operand,), "bool")
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            op = _BINARY[type(node.op)]
            kind = "bool" if op in ("and", "or") else "float"
            return Expr(op, (self.expr(node.left), self.expr(node.right)), kind)
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            return Expr(_COMPARE[type(node.ops[0])],
                        (self.expr(node.left), self.expr(node.comparators[0])), "bool")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            name = node.func.id
            if name not in elementwise_math.RULE_FUNCTIONS or \
                    self.rule.__globals__.get(name) is not getattr(elementwise_math, name):
                raise self.error(node, f"calling {name!r} (only elementwise_math's "
                                       f"{', '.join(elementwise_math.RULE_FUNCTIONS)})")
            args = tuple(self.expr(arg) for arg in node.args)
            kind = "bool" if name == "where" and {a.kind for a in args[1:]} == {"bool"} \
                else "float"
            return Expr(name, args, kind)
        raise self.error(node, f"'{ast.unparse(node)}'")
