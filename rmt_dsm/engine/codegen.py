r"""Numeric code generated once from sympy objects and kept on disk (fast cold start).

`sympy.lambdify` turns expressions into Python source and executes it; for the systems of this
package the symbolic work before it (Jacobians, common subexpressions) and the lambdify itself
cost about a second per process, and importing sympy half a second more.  This module keeps the
*generated source* instead:

* `module_source` writes a small Python module with one function per expression, exactly the
  source lambdify generates, the names it uses imported from numpy or mpmath (sympy only for
  lambdify's mpmath matrices, never in the shipped modules), and a ``KEY``: the sha256 `symbolic_key` of the symbolic source (the
  srepr of the expressions, the sympy version, the target module and `CODEGEN_VERSION`);
* `rmt_dsm.compiled` ships such modules for the systems of the default paths (the isotropic
  DSM system, its observables; regenerated and checked by ``python -m rmt_dsm.compiled``), which
  are imported without sympy;
* `cached_functions` / `lambdify` serve any other expression from a user cache directory
  (`cache_dir`: ``$RMT_DSM_CACHE_DIR``, else ``$XDG_CACHE_HOME/rmt_dsm``, else
  ``~/.cache/rmt_dsm``), keyed by the same hash; files are written to a temporary name and
  renamed (``os.replace``), so concurrent processes never read a partial file, and a file whose
  ``KEY`` does not match is ignored.  An unwritable directory only disables the disk cache.

Expressions whose source needs anything else than numpy, mpmath, sympy and builtins (e.g. a
sympy function with a numerical ``_imp_`` bound to one data spectrum) are lambdified as usual,
never cached.  Nothing here imports sympy at module level.
"""
from __future__ import annotations

import builtins
import hashlib
import importlib
import inspect
import os
import re
import tempfile
from pathlib import Path

__all__ = ["CODEGEN_VERSION", "symbolic_key", "module_source", "load_source", "cached_functions", "lambdify",
           "lambdified", "cache_dir", "Uncacheable"]

#: bumped whenever the generated text changes for the same symbolic source
CODEGEN_VERSION = 3
#: integer powers up to this order are written as products in numpy code (`_numpy_printer`)
PRODUCT_MAX = 8
#: where the names of generated code may come from, in this order (sympy: only lambdify's matrix
#: type for mpmath, in user-cache modules; the shipped ones never use it, tests/test_cold_start.py)
_PROVIDERS = ("numpy", "mpmath", "sympy", "builtins")
#: the lambdify modules argument for each target
_MODULES = {"numpy": ["numpy"], "mpmath": "mpmath"}


class Uncacheable(ValueError):
    """The generated source needs a name that is not a numpy, mpmath, sympy or builtin object."""


def symbolic_key(kind: str, module: str, *parts) -> str:
    """sha256 (hex) of the symbolic source: ``kind``, the target ``module``, the srepr of each
    part (sympy objects, or lists/tuples of them), the sympy version and `CODEGEN_VERSION`."""
    import sympy

    h = hashlib.sha256()
    h.update(f"rmt_dsm codegen {CODEGEN_VERSION}; sympy {sympy.__version__}; {kind}; {module}\n".encode())
    for part in parts:
        h.update(sympy.srepr(part).encode())
        h.update(b"\n")
    return h.hexdigest()


def _provider(name: str, obj) -> str:
    """Which of numpy, mpmath, builtins holds ``obj`` under ``name`` (Uncacheable if none)."""
    for mod in _PROVIDERS:
        if getattr(importlib.import_module(mod), name, _PROVIDERS) is obj:
            return mod
    raise Uncacheable(f"generated code uses {name!r} = {obj!r}, not a numpy, mpmath, sympy or builtin object")


def _numpy_printer():
    """sympy's NumPyPrinter, but an integer power b**k, 1 <= |k| <= `PRODUCT_MAX`, written as the
    product (b*b*...*b) of k factors, and (1/(b*...*b)) for k < 0.

    The C kernels (`rmt_dsm.compiled.cgen`) then perform products where numpy's scalar power
    would call the C library's ``pow``/``powl`` (~35 ns each in long double): at Python floats, at
    numpy longdouble scalars and in C the same products, so the same bits (for numpy arrays, b**2
    was already b*b).  The product is within k - 1 roundings of b**k, as pow is within one.

    >>> import sympy
    >>> x, y = sympy.symbols("x y")
    >>> _numpy_printer().doprint(x / (x + y)**2 + y**3)
    'x/((x + y)*(x + y)) + (y*y*y)'
    """
    from sympy.printing.numpy import NumPyPrinter
    from sympy.printing.precedence import PRECEDENCE

    class ProductPowers(NumPyPrinter):
        def _print_Pow(self, expr, rational=False):
            k = expr.exp
            if not (k.is_Integer and 1 <= abs(int(k)) <= PRODUCT_MAX):
                return super()._print_Pow(expr, rational=rational)
            b = self.parenthesize(expr.base, PRECEDENCE["Atom"], strict=True)
            prod = "*".join([b] * abs(int(k)))
            return f"({prod})" if k > 0 else f"(1/{b})" if k == -1 else f"(1/({prod}))"

    # the settings lambdify gives its own printer (modules=["numpy"], no user functions)
    return ProductPowers({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                          "user_functions": {}})


def lambdified(args, expr, module: str, cse: bool = False):
    """`sympy.lambdify` of ``expr`` for ``module`` ("numpy" or "mpmath") in this process, nothing
    cached, with the printer of the generated code (`_numpy_printer` for numpy): the same
    function as the generated one.  (The fallback for uncacheable expressions.)"""
    import sympy

    printer = _numpy_printer() if module == "numpy" else None
    return sympy.lambdify(args, expr, modules=_MODULES[module], cse=cse, printer=printer)


def _function_source(name: str, args, expr, module: str, cse: bool, native_matrix: bool):
    """(source of ``def name(...)``, {global name: provider}) of one lambdified expression (`lambdified`)."""
    import sympy

    f = lambdified(args, expr, module, cse)
    src = inspect.getsource(f)
    src = re.sub(r"^def _lambdifygenerated\(", f"def {name}(", src, count=1)
    if native_matrix and module == "mpmath" and isinstance(expr, sympy.MatrixBase):  # mpmath.matrix, not sympy's
        head, ret = src.rsplit("    return ImmutableDenseMatrix(", 1)
        src = f"{head}    return matrix({ret}"
    code = compile(src, "<generated>", "exec")
    names = set(next(c for c in code.co_consts if inspect.iscode(c)).co_names)
    used = {}
    for n in sorted(names):
        if n in f.__globals__:
            used[n] = _provider(n, f.__globals__[n])
        elif hasattr(builtins, n):
            used[n] = "builtins"
        elif n == "matrix":  # the mpmath.matrix put in above
            used[n] = "mpmath"
        # otherwise an attribute name (x.real), not a global
    return src, used


def module_source(key: str, functions: dict, module: str, meta: dict | None = None) -> str:
    """Text of a generated module: ``KEY``, ``META``, the imports and one function per entry.

    Parameters
    ----------
    key : str
        The `symbolic_key` of the symbolic source.
    functions : dict
        name -> (args, expression, cse, native_matrix); ``native_matrix``: a sympy Matrix is
        returned as mpmath.matrix for mpmath (lambdify's is a sympy ImmutableDenseMatrix; for
        numpy it is a numpy.array anyway).
    module : {"numpy", "mpmath"}
    meta : dict, optional
        Literal data (names, sizes) stored as ``META``.

    Raises
    ------
    Uncacheable
        An expression needs a name outside numpy, mpmath, sympy and builtins.
    """
    import sympy

    bodies, used = [], {}
    for name, (args, expr, cse, native) in functions.items():
        src, names = _function_source(name, args, expr, module, cse, native)
        bodies.append(src)
        used.update(names)
    imports = []
    for mod in _PROVIDERS[:3]:
        names = sorted(n for n, p in used.items() if p == mod)
        if names:
            imports.append(f"from {mod} import " + ", ".join(names))
    head = (f'"""Generated by rmt_dsm.engine.codegen (sympy {sympy.__version__}, target {module}): do not edit.\n'
            f'Regenerate with: python -m rmt_dsm.compiled --write"""\n'
            f"KEY = {key!r}\nMETA = {dict(meta or {})!r}\n")
    return head + "\n".join(imports) + "\n\n\n" + "\n\n".join(bodies)


def load_source(text: str, filename: str = "<generated>") -> dict:
    """The namespace of a generated module's text (executed; it imports numpy/mpmath only)."""
    ns: dict = {"__name__": "rmt_dsm.generated"}
    exec(compile(text, filename, "exec"), ns)  # noqa: S102 - our own generated source
    return ns


def cache_dir() -> Path:
    """The user cache directory of generated code: ``$RMT_DSM_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/rmt_dsm/codegen``, else ``~/.cache/rmt_dsm/codegen``."""
    env = os.environ.get("RMT_DSM_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rmt_dsm" / "codegen"


def _read(path: Path, key: str):
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    if not text.startswith('"""') or f"KEY = {key!r}\n" not in text:  # partial, foreign or stale
        return None
    try:
        return load_source(text, str(path))
    except Exception:  # noqa: BLE001 - a damaged cache file is regenerated, never trusted
        return None


def _write(path: Path, text: str) -> None:
    """Atomic write (temporary file in the same directory, then os.replace); errors ignored."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


_MEMORY: dict = {}


def cached_functions(key: str, build, module: str, meta: dict | None = None) -> dict:
    """The namespace of the generated module ``key``: from memory, the shipped modules
    (`rmt_dsm.compiled`), the user cache, or generated now from ``build()`` (which returns the
    ``functions`` of `module_source`, and may do the symbolic work) and stored.

    Raises `Uncacheable` (nothing stored) when the source needs names outside numpy, mpmath,
    sympy and builtins."""
    ns = _MEMORY.get(key)
    if ns is not None:
        return ns
    from ..compiled import shipped_by_key

    ns = shipped_by_key(key)
    path = cache_dir() / f"{key}.py"
    if ns is None:
        ns = _read(path, key)
    if ns is None:
        text = module_source(key, build(), module, meta)
        ns = load_source(text, str(path))
        _write(path, text)
    _MEMORY[key] = ns
    return ns


def lambdify(args, expr, modules="numpy", cse=False):
    """`sympy.lambdify` (same arguments and results for ``modules`` "numpy", ["numpy"] or
    "mpmath"), its generated source cached on disk by `symbolic_key`.  Other ``modules`` and
    uncacheable expressions: plain lambdify."""
    import sympy

    target = {"numpy": "numpy", "mpmath": "mpmath"}.get(modules if isinstance(modules, str) else
                                                        (modules[0] if list(modules) == ["numpy"] else None))
    if target is None:
        return sympy.lambdify(args, expr, modules=modules, cse=cse)
    args = list(args) if isinstance(args, (list, tuple)) else args
    key = symbolic_key("lambdify", target, args, sympy.sympify(expr) if not isinstance(expr, (list, tuple)) else
                       list(expr), sympy.true if cse else sympy.false)
    try:
        return cached_functions(key, lambda: {"f": (args, expr, cse, False)}, target)["f"]
    except Uncacheable:
        return lambdified(args, expr, target, cse)
