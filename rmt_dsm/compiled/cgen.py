r"""The C kernels of the shipped numpy modules: ``_kernels.c`` and ``_kernels_body.h``, written from their source.

Each function of a shipped ``*_numpy`` module is straight-line code: assignments of common
subexpressions, then a number, a list or a matrix (``array([[...], ...])``) of expressions in
+, -, *, /, ** and ``sqrt``.  `c_sources` translates every such function, statement by statement,
into one C body in a generic type (``_kernels_body.h``: ``KT``, ``KPOW``, ``KSQRT``) that
``_kernels.c`` includes twice, as a double and as a long double function performing the same
operations in the same order:

* a Python ``a ** b`` is ``pow(a, b)`` (Python's float power calls the C library's ``pow``; numpy's
  longdouble power calls ``powl``), ``sqrt`` is ``sqrt`` / ``sqrtl``; the shipped modules write
  integer powers as products (`rmt_dsm.engine.codegen._numpy_printer`), so they have none;
* a number literal keeps its double value (``(long double)0.5``: widened exactly, as numpy widens a
  Python number in longdouble arithmetic);
* every operation is parenthesized as the syntax tree groups it.

Built with ``-ffp-contract=off -fno-builtin`` (no fused multiply-add, no rewriting of ``pow``), the
kernels return the Python function's bits at Python floats and at numpy longdouble scalars
(tests/test_kernels.py checks every function on random arguments).  `rmt_dsm.compiled.kernels`
binds them; ``kernels.h`` is their calling side.  ``python -m rmt_dsm.compiled --write`` writes
the files with the modules, ``--check`` reports them stale when they differ from `c_sources` now.

>>> print(c_expression(__import__("ast").parse("x0**(-1.0) - 2*a/b", mode="eval").body, "l"))
(powl(x0, ((long double)-1.0)) - ((((long double)2.0) * a) / b))
"""
from __future__ import annotations

import ast
from pathlib import Path

__all__ = ["c_sources", "c_expression", "kernel_functions", "shipped_sources", "KERNELS_FILE", "BODIES_FILE",
           "NotTranslatable"]

HERE = Path(__file__).resolve().parent
#: the generated C file, compiled into the extension ``rmt_dsm.compiled._kernels`` (setup.py)
KERNELS_FILE = HERE / "_kernels.c"
#: ... and the bodies of the generated functions it includes once per precision
BODIES_FILE = HERE / "_kernels_body.h"

#: C spellings by precision: "d" double, "l" long double, "t" the generic type of ``_kernels_body.h``
#: (its macros defined by ``_kernels.c`` as the "d" and the "l" spellings)
_TYPE = {"d": "double", "l": "long double", "t": "KT"}
_CALLS = {"sqrt": {"d": "sqrt", "l": "sqrtl", "t": "KSQRT"}}
_POW = {"d": "pow", "l": "powl", "t": "KPOW"}
#: MAXARGS and MAXOUT of kernels.h
_MAXARGS, _MAXOUT = 64, 256
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


class NotTranslatable(ValueError):
    """A generated function outside the straight-line subset `c_sources` translates."""


def c_expression(node, prec: str) -> str:
    """The C text of the Python expression ``node`` (an `ast` node) in precision ``prec``."""
    if isinstance(node, ast.BinOp):
        left, right = c_expression(node.left, prec), c_expression(node.right, prec)
        if isinstance(node.op, ast.Pow):
            return f"{_POW[prec]}({left}, {right})"
        if type(node.op) not in _OPS:
            raise NotTranslatable(f"operator {type(node.op).__name__}")
        return f"({left} {_OPS[type(node.op)]} {right})"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        operand = node.operand
        if isinstance(operand, ast.Constant):  # -1.0: one literal, as Python folds it
            return _literal(-operand.value, prec)
        return f"(-{c_expression(operand, prec)})"
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant):
        return _literal(node.value, prec)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _CALLS and not node.keywords:
        return f"{_CALLS[node.func.id][prec]}({', '.join(c_expression(a, prec) for a in node.args)})"
    raise NotTranslatable(ast.dump(node))


def _literal(value, prec: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NotTranslatable(f"literal {value!r}")
    text = repr(float(value))  # the double of the literal (ints of the generated code are small)
    if float(value) != value:
        raise NotTranslatable(f"literal {value!r} is not a double")
    return f"(({_TYPE[prec]}){text})"


def _outputs(node) -> tuple:
    """(the output expressions of a return statement, row-major; their form (head, cols) of
    ``kernels.h``): a number (-1, 0), a list (0, 0), or a matrix ``array([[...], ...])`` of c
    columns (0, c)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "array":
        rows = node.args[0].elts
        return [e for row in rows for e in row.elts], (0, len(rows[0].elts))
    if isinstance(node, (ast.List, ast.Tuple)):
        return list(node.elts), (0, 0)
    return [node], (-1, 0)


def kernel_functions(source: str) -> list:
    """[(name, arguments, assignments [(target, expression node)], outputs [expression node],
    form (head, cols): `_outputs`)] of the functions of a generated module's ``source``."""
    out = []
    for fn in ast.parse(source).body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        args = [a.arg for a in fn.args.args]
        assigns, outputs = [], None
        for st in fn.body:
            if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
                assigns.append((st.targets[0].id, st.value))
            elif isinstance(st, ast.Return) and outputs is None:
                outputs, form = _outputs(st.value)
            else:
                raise NotTranslatable(f"{fn.name}: statement {ast.dump(st)[:60]}")
        if len(args) > _MAXARGS or len(outputs) > _MAXOUT:
            raise NotTranslatable(f"{fn.name}: more than {_MAXARGS} arguments or {_MAXOUT} outputs (kernels.h)")
        out.append((fn.name, args, assigns, outputs, form))
    return out


def _body(cname: str, args, assigns, outputs) -> str:
    """The generic C body of one generated function (``KNAME(cname)``: ``cname_d`` or ``cname_l``)."""
    t = _TYPE["t"]
    lines = [f"static void KNAME({cname})(const {t} *in, {t} *out) {{"]
    lines += [f"    const {t} {a} = in[{i}];" for i, a in enumerate(args)]
    lines += [f"    const {t} {name} = {c_expression(e, 't')};" for name, e in assigns]
    lines += [f"    out[{j}] = {c_expression(e, 't')};" for j, e in enumerate(outputs)]
    used = {n.id for e in [*(e for _, e in assigns), *outputs] for n in ast.walk(e) if isinstance(n, ast.Name)}
    lines += [f"    (void){a};" for a in args if a not in used]  # an argument the expressions do not use
    return "\n".join(lines + ["}"])


def _precision(prec: str) -> str:
    """The macros of ``_kernels_body.h`` for precision ``prec``, and its inclusion."""
    return (f"#define KT {_TYPE[prec]}\n#define KPOW {_POW[prec]}\n#define KSQRT {_CALLS['sqrt'][prec]}\n"
            f"#define KNAME(name) name##_{prec}\n#include \"{BODIES_FILE.name}\"\n"
            "#undef KT\n#undef KPOW\n#undef KSQRT\n#undef KNAME\n")


def c_sources(modules: dict) -> dict:
    """{file name: text} of ``_kernels.c`` and ``_kernels_body.h`` for the generated modules
    ``modules`` {name: source text} (their ``KEY`` and functions), in the order of their names."""
    bodies, rows = [], []
    for name in sorted(modules):
        source = modules[name]
        key = next(n.value.value for n in ast.parse(source).body
                   if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == "KEY")
        for fname, args, assigns, outputs, (head, cols) in kernel_functions(source):
            cname = f"{name}__{fname}"
            bodies.append(_body(cname, args, assigns, outputs))
            rows.append(f'    {{"{key}", "{fname}", {len(args)}, {len(outputs)}, {head}, {cols}, {cname}_d, {cname}_l}},')
    note = ("/* Generated by rmt_dsm.compiled.cgen from the shipped numpy modules: do not edit.\n"
            "   Regenerate with: python -m rmt_dsm.compiled --write */\n")
    driver = (note + '#include "kernels.h"\n\n'
              f"/* every generated function ({BODIES_FILE.name}) in double, then in long double */\n"
              + _precision("d") + "\n" + _precision("l") + "\n"
              "static const kernel KERNELS[] = {\n" + "\n".join(rows) + "\n};\n\n"
              "static const kernel *kernels_table(int *n) {\n"
              "    *n = (int)(sizeof(KERNELS) / sizeof(KERNELS[0]));\n"
              "    return KERNELS;\n}\n")
    body = (note + f"/* Included by {KERNELS_FILE.name} once per precision: KT the type, KPOW and KSQRT its power and\n"
            "   square root, KNAME(f) the name of f in that precision. */\n\n" + "\n\n".join(bodies) + "\n")
    return {KERNELS_FILE.name: driver, BODIES_FILE.name: body}


def shipped_sources() -> dict:
    """{name: source text} of the shipped numpy modules (the files next to this one)."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(HERE.glob("*_numpy.py"))}
