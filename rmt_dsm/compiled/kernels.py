r"""The generated functions of the shipped numpy modules evaluated in C, at one point.

At one point the generated code (`rmt_dsm.compiled`) runs on Python floats or numpy longdouble
scalars, and most of its time goes to the interpreter: a few microseconds per function in double,
about ten in longdouble.  The extension ``rmt_dsm.compiled._kernels`` holds every shipped function
translated to C (`rmt_dsm.compiled.cgen`: the same operations in the same order, hence the same
bits) and built at install (setup.py; optional: without a C compiler the package installs and runs
on the Python functions alone).

`kernel` returns, for a generated function, a callable that evaluates it in C at Python floats and
numpy longdouble scalars and calls the Python function for anything else (arrays, mpmath numbers),
and also wherever the Python function would raise or warn (``kernels.h``).  Set the environment
variable ``RMT_DSM_KERNELS=0`` to use the Python functions only.

>>> from rmt_dsm.compiled import load
>>> f = load("dsm_isotropic_numpy")["f"]
>>> args = [0.3, 0.2, 0.5, 0.7, 0.4, 0.0, 1.0, 0.6, 1.0, 0.5, 1.1, 1.2, -1.0, 0.0, 1.0]
>>> kernel(f)(*args) == f(*args)
True
"""
from __future__ import annotations

import os

import numpy as np

__all__ = ["kernel", "available", "one_point", "chain", "records"]


def _load():
    """(the built extension, {(module KEY, function name): (index, outputs, form)}), or (None, None):
    not built, or disabled by ``RMT_DSM_KERNELS=0``."""
    if os.environ.get("RMT_DSM_KERNELS", "1") == "0":
        return None, None
    try:
        from . import _kernels
    except ImportError:
        return None, None
    if _kernels.LONG_DOUBLE_SIZE == np.dtype(np.longdouble).itemsize:  # numpy's longdouble is C's
        _kernels.setup(np.longdouble, lambda b: np.frombuffer(b, dtype=np.longdouble).tolist())
    table = _kernels.table()
    return _kernels, {(key, name): (i, nout, (head, cols)) for i, (key, name, _, nout, head, cols) in enumerate(table)}


_MODULE, _INDEX = _load()
_BOUND: dict = {}


def available() -> bool:
    """Whether the C kernels are built and enabled."""
    return _MODULE is not None


def kernel(fn, form=None, python=None):
    """The C kernel of the generated function ``fn`` (a function of a shipped numpy module,
    found by its module's ``KEY`` and its name), or ``python`` (default ``fn``) when there is none.

    The kernel returns what ``python`` returns, which must be ``fn``'s outputs in the ``form``:
    None, as the source writes them (a number, a flat list, or a matrix ``array([[...]])`` as its
    rows, lists; ``python`` then returns the rows too); ``("rows", c)``: rows of c entries;
    ``("split", n, c)``: the tuple (first n outputs, rows of c entries of the rest), e.g. (F, J)
    of ``fj``."""
    python = fn if python is None else python
    if _MODULE is None or not hasattr(fn, "__globals__"):
        return python
    found = _INDEX.get((fn.__globals__.get("KEY"), fn.__name__))
    if found is None:
        return python
    index, nout, natural = found
    slot = (index, form, id(python))
    bound = _BOUND.get(slot)
    if bound is None:
        if form is None:
            head, cols = natural
            if cols and python is fn:
                raise ValueError(f"kernel: {fn.__name__} returns a matrix: pass python returning its rows")
        elif form[0] == "rows":
            head, cols = 0, form[1]
        elif form[0] == "split":
            head, cols = form[1], form[2]
        else:
            raise ValueError(f"kernel: unknown form {form!r}")
        if head > nout or (cols and (nout - max(head, 0)) % cols):
            raise ValueError(f"kernel: form {form!r} does not fit the {nout} outputs of {fn.__name__}")
        bound = _BOUND[slot] = (_MODULE.bind(index, python, head, cols), python)  # keeps python alive
    return bound[0]




def one_point(functions, obs, positions, constants):
    """The one-point path of `rmt_dsm.batch._one` in C (``one_point.h``) on the C kernels of
    ``functions``: the system's f, fj, ft_0 .. ft_{p-1}, then the observables' Q, X1, dQ_dg,
    dQ_dtheta, errors_primal, errors_dual (generated functions); None when one of them has no
    kernel (or the kernels are not built).  ``obs``: the positions in theta of the observables'
    parameters after the unknowns; ``positions``: of x, y, epsilon, psi_n, psi_p; ``constants``:
    the tolerances of the Python path in the order of ``one_point.h``.  The returned callable is
    documented there (``op_call``)."""
    if _MODULE is None or _MODULE.LONG_DOUBLE_SIZE != np.dtype(np.longdouble).itemsize:
        return None
    found = [_INDEX.get((getattr(fn, "__globals__", {}).get("KEY"), getattr(fn, "__name__", None)))
             for fn in functions]
    if any(f is None for f in found):
        return None
    return _MODULE.one_point(tuple(f[0] for f in found), tuple(obs), tuple(positions),
                             tuple(float(v) for v in constants))


def chain(one, t64, tld, tm, points, stores, i0, out, threads):
    """The path of `one_point`'s callable ``one`` along many points (``chain`` in ``one_point.h``),
    as `rmt_dsm.batch._chain_run` calls it."""
    return _MODULE.chain(one, t64, tld, tm, points, stores, i0, out, threads)


def records(cls, params, table, ratios, charts, coefficients):
    """`rmt_dsm.result._double_result` for each row of a chain's ``table`` (``records`` in
    ``one_point.h``), as `rmt_dsm.batch._along_ratios` calls it."""
    return _MODULE.records(cls, params, table, ratios, charts, coefficients)
