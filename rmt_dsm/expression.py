"""Parse a custom activation, a formula in ``x``, without ever evaluating the user's text.

The text is parsed by Python's `ast` module (``mode="eval"``: one expression, never
executed) and the tree is walked node by node.  Only these nodes are accepted:

* numbers (``int`` and decimal ``float`` literals, read exactly as rationals: ``0.1`` is 1/10),
* the variable ``x`` and the constants ``pi`` and ``E``,
* ``+ - * / **`` and unary ``+ -``,
* calls ``f(arg, ...)`` of the functions in `FUNCTIONS`, with positional arguments.

Everything else -- attributes, subscripts, strings, lambdas, comprehensions, keyword
arguments, comparisons, unknown names -- is refused with a ``ValueError`` naming
``activation``.  The sympy expression is then built from the tree by this module (no
``sympify``, no ``eval``).  Limits refuse expression bombs before any work is done:
`MAX_LENGTH` characters, `MAX_NODES` tree nodes, `MAX_DEPTH` nesting levels,
constant exponents of magnitude at most `MAX_EXPONENT` and constants of magnitude at
most `MAX_CONSTANT`.

Examples
--------
>>> parse_expression("x*exp(-x**2/2) + 0.5")
x*exp(-x**2/2) + 1/2
>>> parse_expression("__import__('os').system('true')")
Traceback (most recent call last):
...
ValueError: activation: attribute access (.) is not allowed (only the allowed functions may be called)
"""
from __future__ import annotations

import ast
import math
import warnings

import sympy as sp

__all__ = ["parse_expression", "FUNCTIONS", "MAX_LENGTH", "MAX_NODES", "MAX_DEPTH", "MAX_EXPONENT",
           "MAX_CONSTANT"]

#: longest accepted text (characters)
MAX_LENGTH = 300
#: most nodes in the syntax tree
MAX_NODES = 120
#: deepest nesting of the syntax tree
MAX_DEPTH = 24
#: largest |exponent| of a power whose exponent is a constant
MAX_EXPONENT = 16
#: largest |value| of a literal or of a constant sub-expression
MAX_CONSTANT = 1e15


def _sigmoid(v):
    return 1 / (1 + sp.exp(-v))


def _relu(v):
    return sp.Max(v, 0)


def _softplus(v):
    return sp.log(1 + sp.exp(v))


def _gelu(v):
    return v * (1 + sp.erf(v / sp.sqrt(2))) / 2


#: function name -> (sympy constructor, fewest arguments, most arguments)
FUNCTIONS = {
    "tanh": (sp.tanh, 1, 1), "erf": (sp.erf, 1, 1), "erfc": (sp.erfc, 1, 1), "exp": (sp.exp, 1, 1),
    "log": (sp.log, 1, 1), "sqrt": (sp.sqrt, 1, 1), "sin": (sp.sin, 1, 1), "cos": (sp.cos, 1, 1),
    "tan": (sp.tan, 1, 1), "atan": (sp.atan, 1, 1), "sinh": (sp.sinh, 1, 1), "cosh": (sp.cosh, 1, 1),
    "asinh": (sp.asinh, 1, 1), "sign": (sp.sign, 1, 1), "Heaviside": (sp.Heaviside, 1, 1),
    "Abs": (sp.Abs, 1, 1), "abs": (sp.Abs, 1, 1),
    "Max": (sp.Max, 2, 8), "max": (sp.Max, 2, 8), "Min": (sp.Min, 2, 8), "min": (sp.Min, 2, 8),
    "sigmoid": (_sigmoid, 1, 1), "relu": (_relu, 1, 1), "softplus": (_softplus, 1, 1), "gelu": (_gelu, 1, 1),
}

_BINARY = {ast.Add: lambda l, r: l + r, ast.Sub: lambda l, r: l - r, ast.Mult: lambda l, r: l * r,
           ast.Div: lambda l, r: l / r, ast.Pow: lambda l, r: l ** r}
_UNARY = {ast.UAdd: lambda v: v, ast.USub: lambda v: -v}
_SPELLING = {ast.BitXor: " (write powers as **)", ast.FloorDiv: "", ast.Mod: "", ast.MatMult: ""}


class _Refused(ValueError):
    pass


def _refuse(why: str):
    raise _Refused(f"activation: {why}")


def _names(x_symbol) -> dict:
    return {"x": x_symbol, "pi": sp.pi, "E": sp.E}


def _check_size(tree: ast.AST) -> None:
    """Node count and depth of the tree, walked without recursion."""
    count, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            _refuse(f"the expression is too large (more than {MAX_NODES} syntax nodes)")
        if depth > MAX_DEPTH:
            _refuse(f"the expression is nested too deeply (more than {MAX_DEPTH} levels)")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _constant_value(expr: sp.Expr):
    """|value| of a constant sub-expression, refusing non-finite or huge ones."""
    shown = str(expr) if len(str(expr)) <= 40 else str(expr)[:37] + "..."
    try:
        value = complex(sp.N(expr, 20))
    except (TypeError, ValueError, OverflowError):
        _refuse(f"the constant {shown} is not a finite number")
    if not (math.isfinite(value.real) and math.isfinite(value.imag)) or abs(value) > MAX_CONSTANT:
        _refuse(f"the constant {shown} is not a finite number of magnitude at most {MAX_CONSTANT:g}")
    return value


class _Builder:
    """Builds the sympy expression of an already size-checked tree, node by node."""

    def __init__(self, text: str, x_symbol):
        self.text = text
        self.names = _names(x_symbol)

    def build(self, node):
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            _refuse(f"{_describe(node)} is not allowed (only numbers, x, pi, E, + - * / ** and the "
                    "allowed functions)")
        expr = method(node)
        if not expr.free_symbols:
            _constant_value(expr)
        return expr

    def _Expression(self, node):
        return self.build(node.body)

    def _Constant(self, node):
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            _refuse(f"the literal {ast.get_source_segment(self.text, node) or repr(v)} is not a real number")
        if isinstance(v, float) and not math.isfinite(v):
            _refuse(f"the number {ast.get_source_segment(self.text, node)} is not finite")
        if abs(v) > MAX_CONSTANT:
            _refuse(f"the number {ast.get_source_segment(self.text, node)} exceeds {MAX_CONSTANT:g} in magnitude")
        if isinstance(v, int):
            return sp.Integer(v)
        source = ast.get_source_segment(self.text, node) or repr(v)
        return sp.Rational(source.replace("_", ""))  # the decimal as written, exactly

    def _Name(self, node):
        if node.id in self.names:
            return self.names[node.id]
        if node.id in FUNCTIONS:
            _refuse(f"the function {node.id} must be called, as in {node.id}(x)")
        allowed = ", ".join(sorted(FUNCTIONS))
        _refuse(f"unknown name {node.id[:40]!r} (allowed: x, pi, E and the functions {allowed})")

    def _UnaryOp(self, node):
        op = _UNARY.get(type(node.op))
        if op is None:
            _refuse(f"the operator {type(node.op).__name__} is not allowed")
        return op(self.build(node.operand))

    def _BinOp(self, node):
        op = _BINARY.get(type(node.op))
        if op is None:
            _refuse(f"the operator {type(node.op).__name__} is not allowed"
                    f"{_SPELLING.get(type(node.op), '')}; use + - * / **")
        left = self.build(node.left)
        right = self.build(node.right)
        if isinstance(node.op, ast.Pow) and not right.free_symbols:
            if abs(_constant_value(right)) > MAX_EXPONENT:
                _refuse(f"the exponent {right} exceeds {MAX_EXPONENT} in magnitude")
        if isinstance(node.op, ast.Div) and right == 0:
            _refuse("division by zero")
        return op(left, right)

    def _Call(self, node):
        if not isinstance(node.func, ast.Name):
            _refuse(f"{_describe(node.func)} is not allowed (only the allowed functions may be called)")
        if node.func.id not in FUNCTIONS:
            _refuse(f"unknown function {node.func.id[:40]!r} (allowed: " + ", ".join(sorted(FUNCTIONS)) + ")")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            _refuse(f"{node.func.id}() takes positional arguments only")
        fun, lo, hi = FUNCTIONS[node.func.id]
        if not lo <= len(node.args) <= hi:
            count = str(lo) if lo == hi else f"{lo} to {hi}"
            _refuse(f"{node.func.id}() takes {count} argument(s), got {len(node.args)}")
        return fun(*(self.build(a) for a in node.args))


def _describe(node) -> str:
    names = {"Attribute": "attribute access (.)", "Subscript": "subscript ([])", "Lambda": "lambda",
             "Compare": "a comparison", "BoolOp": "and/or", "IfExp": "if/else", "JoinedStr": "an f-string",
             "List": "a list", "Tuple": "a tuple", "Dict": "a dict", "Set": "a set", "NamedExpr": ":=",
             "ListComp": "a comprehension", "GeneratorExp": "a generator", "Starred": "*"}
    kind = type(node).__name__
    return names.get(kind, f"the construct {kind}")


def parse_expression(text: str, x_symbol=None) -> sp.Expr:
    """The sympy expression of ``text``, a formula in ``x`` (see the module docstring).

    Parameters
    ----------
    text : str
        The formula, e.g. ``"x*exp(-x**2)"``.
    x_symbol : sympy.Symbol, optional
        The symbol ``x`` stands for (default: a real symbol named ``x``).

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ValueError
        For anything outside the grammar or the limits; the message starts with ``activation:``.

    Examples
    --------
    >>> parse_expression("Max(x, 0) + sigmoid(2*x)")
    Max(0, x) + 1/(1 + exp(-2*x))
    >>> parse_expression("x**99")
    Traceback (most recent call last):
    ...
    ValueError: activation: the exponent 99 exceeds 16 in magnitude
    """
    if x_symbol is None:
        x_symbol = sp.Symbol("x", real=True)
    if not isinstance(text, str):
        raise ValueError(f"activation must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"activation: the expression is too long ({len(text)} characters, at most {MAX_LENGTH})")
    if not text.isprintable():
        raise ValueError("activation: the expression contains non-printable characters")
    if not text.isascii():
        raise ValueError("activation: the expression contains non-ASCII characters")
    try:
        with warnings.catch_warnings():  # e.g. "invalid decimal literal": the refusal says enough
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        msg = getattr(exc, "msg", None) or type(exc).__name__
        raise ValueError(f"activation: {text.strip()[:60]!r} is not a formula in x ({msg})") from None
    try:
        _check_size(tree)
        return _Builder(text.strip(), x_symbol).build(tree)
    except _Refused as exc:
        raise ValueError(str(exc)) from None
    except (RecursionError, MemoryError, OverflowError, ZeroDivisionError, TypeError) as exc:
        raise ValueError(f"activation: {text.strip()[:60]!r} cannot be built ({type(exc).__name__})") from None
