r"""The DSM system and its observables as generated numeric code: the fast path, without sympy.

The symbolic objects (`rmt_dsm.dsm.system.dsm_system`, `rmt_dsm.dsm.observables`) are the
definition; `rmt_dsm.compiled` ships the code generated from them (`rmt_dsm.engine.codegen`)
for the isotropic data spectrum and for the explicit spectra of at most `EXPLICIT_MAX` atoms,
each module keyed by the hash of its symbolic source (``python -m rmt_dsm.compiled --check``
and tests/test_cold_start.py regenerate the keys from sympy and compare).  `numeric_system` and
`numeric_observables` load that code without importing sympy; for any other spectrum (a
continuous one: atom sums bound to the spectrum) they return the symbolic path's objects.
"""
from __future__ import annotations

import types
from dataclasses import dataclass
from functools import lru_cache, partial

from .branch import physical_branch

__all__ = ["EXPLICIT_MAX", "entry_for", "atom_parameter_values", "numeric_system", "numeric_observables",
           "CompiledObservables", "floor", "broadcasting"]

#: spectra with at most this many atoms are written out explicitly (atoms as parameters l_k, w_k)
EXPLICIT_MAX = 4


def entry_for(spectrum) -> str | None:
    """The name of the shipped code of a spectrum's system: ``"isotropic"`` (Sigma = I),
    ``"explicitK"`` (K <= EXPLICIT_MAX atoms), or None (no shipped code)."""
    if spectrum.is_identity:
        return "isotropic"
    if spectrum.size <= EXPLICIT_MAX and spectrum.quantile is None:
        return f"explicit{spectrum.size}"
    return None


def atom_parameter_values(spectrum, convert) -> dict:
    """Values {name: number} of the atom parameters of the spectrum's system: ``l_k`` and (for
    K > 1) ``w_k`` for an explicit spectrum, none for Sigma = I or a bound one (``convert``: a
    spectrum number to the working number type)."""
    entry = entry_for(spectrum)
    if entry is None or entry == "isotropic":
        return {}
    out = {f"l_{k}": convert(v) for k, v in enumerate(spectrum.eigenvalues, 1)}
    if spectrum.size > 1:
        out.update({f"w_{k}": convert(v) for k, v in enumerate(spectrum.weights, 1)})
    return out


def floor(spectrum, a, delta):
    """F_pop = 1 - Delta sum_k w_k/(a^2 l_k + Delta) = sum_k w_k a^2 l_k/(a^2 l_k + Delta) [S eq. (5.6)],
    in the second form (no cancellation; exactly 0 at a = 0).  ``a``, ``delta`` and the atoms are
    numbers of one kind (floats, or mpmath numbers at the working precision)."""
    a2 = a * a
    return sum(w * (a2 * lk) / (a2 * lk + delta) for w, lk in spectrum)


@dataclass(frozen=True)
class CompiledObservables:
    """Compiled Q, X1, dQ/dg, the explicit partials of Q in (x, y, eps), and the errors per chart
    (`rmt_dsm.dsm.observables.observable_functions`); ``args``: the names (with ``.name``) of the
    arguments of the first four, ``error_args`` those of the errors."""

    args: tuple
    Q: object
    X1: object
    dQ_dg: object        # gradient of Q w.r.t. the unknowns
    dQ_dtheta: object    # explicit partials of Q w.r.t. (x, y, eps)
    errors: dict         # chart -> errors(Q, X1, dQ_dx, dQ_dy, dQ_deps, F_pop, delta, lam, mu1, s2, v2)
    error_args: tuple

    @classmethod
    def from_namespace(cls, ns: dict) -> "CompiledObservables":
        from ..engine.system import Name

        meta = ns["META"]
        return cls(args=tuple(Name(n) for n in meta["args"]), Q=ns["Q"], X1=ns["X1"], dQ_dg=ns["dQ_dg"],
                   dQ_dtheta=ns["dQ_dtheta"], errors={c: ns[f"errors_{c}"] for c in ("primal", "dual")},
                   error_args=tuple(Name(n) for n in meta["error_args"]))


def numeric_system(spectrum):
    """The DSM Dyson system of the spectrum for solving: from shipped generated code when there is
    some (unknowns and parameters are `rmt_dsm.engine.system.Name`), else the symbolic
    `rmt_dsm.dsm.system.dsm_system`."""
    entry = entry_for(spectrum)
    system = None if entry is None else _generated_system(entry)
    if system is None:
        from .system import dsm_system

        return dsm_system(spectrum)
    return system


@lru_cache(maxsize=None)
def _generated_system(entry):
    from ..compiled import load
    from ..engine import FixedPointSystem

    mods = {m: load(f"dsm_{entry}_{m}") for m in ("numpy", "mpmath")}
    if None in mods.values():
        return None
    return FixedPointSystem.generated(mods, "dsm", homotopy=True, checks=[physical_branch], fixed_point_form=True,
                                      symbolic=partial(_symbolic_system, entry))


def _symbolic_system(entry):
    """The symbolic system of a shipped entry (any spectrum with that many atoms: the atoms are
    parameters)."""
    from ..compiled.generate import spectra
    from .system import dsm_system

    return dsm_system(spectra()[entry])


def numeric_observables(module: str, spectrum) -> CompiledObservables:
    """The compiled observables of the spectrum's system for ``module`` ('numpy' or 'mpmath'):
    shipped code when there is some, else `rmt_dsm.dsm.observables.compiled`."""
    entry = entry_for(spectrum)
    out = None if entry is None else _generated_observables(module, entry)
    if out is None:
        from .atoms import reduction_for
        from .observables import compiled

        return compiled(module, reduction_for(spectrum))
    return out


@lru_cache(maxsize=None)
def _generated_observables(module, entry):
    from ..compiled import load

    ns = load(f"observables_{entry}_{module}")
    return None if ns is None else CompiledObservables.from_namespace(ns)


@lru_cache(maxsize=None)
def broadcasting(fn):
    """The generated (or lambdified) numpy function ``fn`` returning a matrix, for arrays of
    points: the same code with ``numpy.array`` replaced by `_stacked_matrix`, so that entries
    that are constants for the expression (a 0 in dQ/dtheta) broadcast against those that vary
    from point to point.  The matrix comes out with shape (rows, columns, *points).

    Examples
    --------
    >>> import numpy as np
    >>> from numpy import array
    >>> def grad(x, y):
    ...     return array([[0], [x * y]])
    >>> broadcasting(grad)(np.arange(3.0), 2.0)[:, 0]
    array([[0., 0., 0.],
           [0., 2., 4.]])
    """
    return types.FunctionType(fn.__code__, {**fn.__globals__, "array": _stacked_matrix}, fn.__name__,
                              fn.__defaults__, fn.__closure__)


def _stacked_matrix(rows):
    """``numpy.array(rows)`` for a nested list of equal-shape-broadcastable entries: shape
    (len(rows), len(rows[0]), *the broadcast shape)."""
    import numpy as np

    entries = np.broadcast_arrays(*(v for row in rows for v in row))
    return np.stack(entries).reshape(len(rows), len(rows[0]), *entries[0].shape)
