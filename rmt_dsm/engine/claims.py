r"""Exact checks that a pencil's block of $L^{-1}$ is the intended matrix.

A `PencilClaim` states: for the pencil at exact (rational) parameter
values and *any* matrices X_r of the right shapes, the block ``read = (a, b)``
of $L^{-1}$ equals ``intended(matrices, values, d)``.  The check draws
small random integer matrices and compares in exact rational arithmetic
(sympy), so a wrong Schur complement fails deterministically.

Other modules register their pencils with `register_claim` at import
time and add the module to `CLAIM_MODULES` (or pass it to
``derivations/check_pencils.py --module``); `check_all` imports those modules
and checks every registered claim.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy as sp
from sympy.polys.matrices import DomainMatrix

__all__ = ["PencilClaim", "register_claim", "registered_claims", "check_all", "CLAIM_MODULES", "exact_inv",
           "exactly_zero"]

#: modules whose import registers claims (extend: the DSM pencils' module)
CLAIM_MODULES: list[str] = ["rmt_dsm.engine.pencils", "rmt_dsm.dsm.claims"]

_REGISTRY: dict[str, "PencilClaim"] = {}


def _domain(M) -> DomainMatrix:
    # the smallest exact field holding the entries: QQ, or QQ<sqrt(2), ...> when sqrt(d) enters
    # (entries expanded first, so that products of algebraic numbers are in the field's normal form)
    return DomainMatrix.from_Matrix(sp.Matrix(M).applyfunc(sp.expand), extension=True)


def exact_inv(M) -> sp.Matrix:
    """M^{-1} in exact arithmetic over the field of M's entries (sympy's DomainMatrix: fast where
    Matrix.inv with algebraic entries such as sqrt(2) is not).  Raises ValueError if M is singular.

    >>> exact_inv(sp.Matrix([[2, sp.sqrt(2)], [0, 1]]))
    Matrix([
    [1/2, -sqrt(2)/2],
    [  0,          1]])
    """
    dM = _domain(M)
    if dM.det() == 0:
        raise ValueError("exact_inv: the matrix is singular")
    return dM.inv().to_Matrix()


def exactly_zero(M) -> bool:
    """True iff every entry of M is exactly 0 (decided in the field of the entries, no simplify)."""
    return _domain(M).is_zero_matrix


@dataclass(frozen=True)
class PencilClaim:
    """``(L^{-1})_{read} == intended(matrices, values, d)`` for the pencil at ``values``, dimension ``d``.

    ``values``: dict Symbol -> exact sympy number (block sizes times d must be integers);
    ``intended(matrices, values, d)``: sympy Matrix built from the concrete matrices
    (dict name -> sympy Matrix).
    """

    name: str
    pencil: object
    read: tuple
    intended: Callable
    values: dict
    d: int = 4
    description: str = ""
    trials: int = 2
    extra: dict = field(default_factory=dict)

    def build_instance(self, rng) -> tuple[sp.Matrix, sp.Matrix, tuple[range, range]]:
        """(L, intended block, (row indices, column indices)) for random integer matrices."""
        M = self.pencil.random_matrices(self.d, self.values, rng)
        L, sl = self.pencil.instantiate(self.d, self.values, M)
        a, b = self.read
        rows, cols = range(*sl[a]), range(*sl[b])
        return L, sp.Matrix(self.intended(M, self.values, self.d)), (rows, cols)

    def check(self, seed: int = 0) -> tuple[bool, str]:
        """Exact comparison on ``trials`` random instances. Returns (ok, message)."""
        rng = np.random.default_rng(seed)
        for trial in range(self.trials):
            L, want, (rows, cols) = self.build_instance(rng)
            try:
                Linv = exact_inv(L)
            except ValueError:
                return False, f"{self.name}: L is singular on a random instance (choose other values)"
            got = Linv.extract(list(rows), list(cols))
            if not exactly_zero(got - want):
                return False, f"{self.name}: block {self.read} of L^-1 differs from the claim (trial {trial})"
        return True, f"{self.name}: OK ({self.description or self.read}, {self.trials} exact instances)"


def register_claim(claim: PencilClaim) -> PencilClaim:
    """Add (or replace) a claim in the registry."""
    _REGISTRY[claim.name] = claim
    return claim


def registered_claims() -> list[PencilClaim]:
    return list(_REGISTRY.values())


def check_all(modules=None, seed: int = 0, verbose: bool = True) -> bool:
    """Import ``modules`` (default `CLAIM_MODULES`) and check every registered claim."""
    for mod in list(CLAIM_MODULES) + list(modules or []):
        importlib.import_module(mod)
    ok = True
    for claim in registered_claims():
        good, msg = claim.check(seed)
        ok &= good
        if verbose:
            print(("PASS " if good else "FAIL ") + msg)
    return ok
