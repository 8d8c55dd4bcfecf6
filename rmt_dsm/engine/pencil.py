r"""Symmetric linear pencils with Gaussian blocks and their matrix Dyson equation.

Derivation and conventions: derivations/pencil_dyson.md.  Summary:

* blocks k = 1..K of sizes $n_k = \alpha_k d$;
* $L = \Lambda\otimes I + S$, $\Lambda$ symmetric K x K (entries only
  between equal-size blocks), S made of ``coef * X_r / sqrt(d)`` at (i, j) and its
  transpose at (j, i), the same X_r possibly at several positions;
* unknowns $g_{ij} = n_i^{-1}\operatorname{tr}(L^{-1})_{ij}$ for equal-size,
  structurally non-zero pairs (i <= j);
* matrix Dyson equation $G = (\Lambda - \eta(G))^{-1}$ per size class with

  $$
  \eta(G)_{ij} = \sum c\,c'\,\alpha_k\,g_{kl}
  $$

  over ordered pairs of placements of the same X_r, [X_r at (i,k), X_r^T at (l,j)]
  or [X_r^T at (i,k), X_r at (l,j)].

Equations are returned in fixed-point form ``g_ij - [(Lambda - eta(G))^{-1}]_ij``
(inverse per connected component of a size class, adjugate / determinant),
with the homotopy ``eta -> s^2 eta`` (all Gaussian couplings scaled by s): at
s = 0 the solution is ``Lambda^{-1}`` exactly.

Marchenko-Pastur (c = 1/alpha): m = g_aa solves c z m^2 + (z + c - 1) m + 1 = 0.

Examples
--------
>>> import sympy as sp
>>> alpha, z = sp.symbols("alpha z")
>>> p = Pencil("mp")
>>> p.block("a", size=1); p.block("b", size=alpha)
>>> p.deterministic("a", "a", -z); p.deterministic("b", "b", -1)
>>> p.gaussian("X", "a", "b", coef=1/sp.sqrt(alpha))
>>> sysm = p.dyson_system()
>>> sysm.unknowns, sysm.parameters
([g_a_a, g_b_b], [alpha, z])
>>> sysm.rhs
[1/(-g_b_b - z), 1/(-1 - g_a_a/alpha)]
>>> sol = sysm.solve({alpha: 2, z: -1})
>>> round(sol["a", "a"], 10)
0.5615528128
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .system import FixedPointSystem, Homotopy, StieltjesCondition

__all__ = ["Pencil", "Placement"]


@dataclass(frozen=True)
class Placement:
    """One occurrence of a Gaussian matrix: block (row, col) holds coef * X (or X^T if transposed)."""

    matrix: str
    row: int
    col: int
    coef: sp.Expr
    transposed: bool


class Pencil:
    """Builder of a block-Gaussian symmetric linear pencil (see module docstring)."""

    def __init__(self, name: str = "pencil"):
        self.name = name
        self.blocks: list[str] = []
        self.sizes: dict[str, sp.Expr] = {}
        self.lam: dict[tuple[int, int], sp.Expr] = {}
        self.gaussians: dict[str, list[tuple[int, int, sp.Expr]]] = {}
        self._conditions: list[tuple] = []

    # --------------------------------------------------------------- building
    def block(self, name: str, size=1) -> None:
        """Add block ``name`` of size ``size * d`` (sympy expression or number)."""
        if name in self.sizes:
            raise ValueError(f"block {name!r} already defined")
        self.blocks.append(name)
        self.sizes[name] = sp.sympify(size)

    def _idx(self, name: str) -> int:
        try:
            return self.blocks.index(name)
        except ValueError:
            raise KeyError(f"{self.name}: no block {name!r}; blocks: {self.blocks}") from None

    def same_size(self, a: str, b: str) -> bool:
        return sp.simplify(self.sizes[a] - self.sizes[b]) == 0

    def deterministic(self, a: str, b: str, value) -> None:
        """Set $\\Lambda_{ab} = \\Lambda_{ba}$ = value (times the identity); equal sizes only."""
        i, j = self._idx(a), self._idx(b)
        if not self.same_size(a, b):
            raise ValueError(f"{self.name}: deterministic entry ({a}, {b}) couples blocks of different "
                             f"sizes {self.sizes[a]} d and {self.sizes[b]} d")
        v = sp.sympify(value)
        self.lam[(i, j)] = v
        self.lam[(j, i)] = v

    def gaussian(self, name: str, a: str, b: str, coef=1) -> None:
        """Place ``coef * X / sqrt(d)`` at (a, b) and its transpose at (b, a).

        Calling again with the same ``name`` places the *same* matrix elsewhere
        (shapes must agree).  ``a != b`` is required.
        """
        i, j = self._idx(a), self._idx(b)
        if i == j:
            raise ValueError(f"{self.name}: Gaussian {name!r} on the diagonal block ({a}, {a}) "
                             "is not supported (only off-diagonal placements)")
        places = self.gaussians.setdefault(name, [])
        if places:
            i0, j0, _ = places[0]
            if not (self.same_size(self.blocks[i0], a) and self.same_size(self.blocks[j0], b)):
                raise ValueError(f"{self.name}: Gaussian {name!r} placed at ({a}, {b}) with a shape "
                                 f"different from its first placement ({self.blocks[i0]}, {self.blocks[j0]})")
        places.append((i, j, sp.sympify(coef)))

    def stieltjes(self, a: str, z, b: str | None = None, sign: int = 1, lower=None) -> None:
        """Declare ``g_ab`` (default b = a) to be ``sign`` times a Stieltjes transform in ``z``
        (checked on every solution; ``lower``: a lower bound of the support)."""
        self._conditions.append((a, b if b is not None else a, z, sign, lower))

    # -------------------------------------------------------------- structure
    def placements(self) -> list[Placement]:
        """All occurrences (each placement and its transpose)."""
        out = []
        for name, places in self.gaussians.items():
            for i, j, c in places:
                out.append(Placement(name, i, j, c, False))
                out.append(Placement(name, j, i, c, True))
        return out

    def _classes(self) -> list[list[int]]:
        classes: list[list[int]] = []
        for k, b in enumerate(self.blocks):
            for cl in classes:
                if self.same_size(self.blocks[cl[0]], b):
                    cl.append(k)
                    break
            else:
                classes.append([k])
        return classes

    def _eta_terms(self):
        """List of (i, j, k, l, coefficient): eta_ij += coefficient * g_kl (without s^2)."""
        occ = self.placements()
        terms = []
        for o1 in occ:
            for o2 in occ:
                if o1.matrix != o2.matrix or o1.transposed == o2.transposed:
                    continue
                c = o1.coef * o2.coef * self.sizes[self.blocks[o1.col]]
                if c != 0:
                    terms.append((o1.row, o2.col, o1.col, o2.row, c))
        return terms

    @staticmethod
    def _components(pattern: set, classes: list[list[int]]) -> list[list[int]]:
        """Connected components of the graph ``pattern`` inside each size class."""
        comps = []
        for cl in classes:
            left = set(cl)
            while left:
                stack = [min(left)]
                comp = set(stack)
                while stack:
                    u = stack.pop()
                    for v in cl:
                        if v not in comp and ((u, v) in pattern or (v, u) in pattern):
                            comp.add(v)
                            stack.append(v)
                left -= comp
                comps.append(sorted(comp))
        return comps

    def _pattern(self, classes: list[list[int]]):
        """Structural non-zero pattern of G and of Lambda - eta(G) (generic values)."""
        rng = np.random.default_rng(12345)
        terms = self._eta_terms()
        lam_pat = {k for k, v in self.lam.items() if v != 0}
        P: set = set()
        for _ in range(4 * len(self.blocks) + 4):
            Mpat = set(lam_pat) | {(i, j) for (i, j, k, l, _) in terms if (k, l) in P}
            newP = set()
            for comp in self._components(Mpat, classes):
                n = len(comp)
                A = np.zeros((n, n))
                for a, i in enumerate(comp):
                    for b, j in enumerate(comp):
                        if (i, j) in Mpat and b >= a:
                            A[a, b] = A[b, a] = rng.uniform(0.5, 1.5) * rng.choice([-1, 1])
                try:
                    if np.linalg.cond(A) > 1e10:
                        raise np.linalg.LinAlgError
                    B = np.linalg.inv(A)
                    big = np.abs(B) > 1e-9 * np.max(np.abs(B))
                except np.linalg.LinAlgError:
                    big = np.ones((n, n), bool)  # structurally singular: keep the closure
                for a, i in enumerate(comp):
                    for b, j in enumerate(comp):
                        if big[a, b]:
                            newP.add((i, j))
            if newP <= P:
                return P, Mpat
            P |= newP
        raise RuntimeError("sparsity propagation did not terminate")  # pragma: no cover

    # --------------------------------------------------------------- system
    def eta(self, G: sp.Matrix) -> sp.Matrix:
        """Symbolic $\\eta(G)$ (K x K) for a symbolic block-trace matrix G."""
        K = len(self.blocks)
        E = sp.zeros(K, K)
        for i, j, k, l, c in self._eta_terms():
            E[i, j] += c * G[k, l]
        return E

    def lambda_matrix(self) -> sp.Matrix:
        K = len(self.blocks)
        L = sp.zeros(K, K)
        for (i, j), v in self.lam.items():
            L[i, j] = v
        return L

    def dyson_system(self, symbol_names: dict | None = None) -> FixedPointSystem:
        """The matrix Dyson equation as a `FixedPointSystem` (fixed-point form, with homotopy)."""
        if not self.blocks:
            raise ValueError(f"{self.name}: no blocks")
        classes = self._classes()  # sympy size comparisons: once per build
        P, Mpat = self._pattern(classes)
        K = len(self.blocks)
        G = sp.zeros(K, K)
        pairs, unknowns, names = {}, [], {}
        long = any(len(b) > 1 for b in self.blocks)
        slots = [(i, j) for i in range(K) for j in range(i, K) if (i, j) in P]  # one unknown each
        for i, j in slots:
            a, b = self.blocks[i], self.blocks[j]
            g = sp.Symbol(f"g_{a}_{b}")
            G[i, j] = G[j, i] = g
            unknowns.append(g)
            pairs[frozenset((a, b))] = g
            names[g.name] = f"g_{{{a},{b}}}" if long else f"g_{{{a}{b}}}"
        s = sp.Dummy("s")
        M = self.lambda_matrix() - s ** 2 * self.eta(G)
        inv = {}
        for comp in self._components(Mpat, classes):
            Mc = M.extract(comp, comp)
            if len(comp) == 1:
                Minv = sp.Matrix([[1 / Mc[0, 0]]]) if Mc[0, 0] != 0 else None
            else:
                det = Mc.det(method="berkowitz")
                Minv = None if det == 0 else Mc.adjugate(method="berkowitz") / det
            if Minv is None:
                raise ValueError(f"{self.name}: Lambda - eta(G) is structurally singular on blocks "
                                 f"{[self.blocks[c] for c in comp]}")
            for a, i in enumerate(comp):
                for b, j in enumerate(comp):
                    inv[(i, j)] = Minv[a, b]
        rhs_s = [inv[ij] for ij in slots]
        eq_s = [u - r for u, r in zip(unknowns, rhs_s)]
        rhs = [r.subs(s, 1) for r in rhs_s]
        eqs = [u - r for u, r in zip(unknowns, rhs)]
        conditions = []
        for a, b, z, sign, lower in self._conditions:
            key = frozenset((a, b))
            if key not in pairs:
                raise ValueError(f"{self.name}: Stieltjes condition on g_{a}_{b}, which is structurally zero")
            conditions.append(StieltjesCondition(pairs[key], sp.sympify(z), sign, lower))
        names.update(symbol_names or {})
        return FixedPointSystem(unknowns, None, eqs, homotopy=Homotopy(s, tuple(eq_s), None),
                                conditions=conditions, fixed_point_form=True, rhs=rhs, name=self.name,
                                pairs=pairs, symbol_names=names)

    # -------------------------------------------------------------- instances
    def dimensions(self, d: int, values: dict) -> dict:
        """Block sizes n_k = alpha_k d (must be integers) for concrete parameter values."""
        out = {}
        for b in self.blocks:
            n = sp.nsimplify(sp.sympify(self.sizes[b]).subs(values) * d)
            if not (n.is_integer and n > 0):
                raise ValueError(f"block {b}: size {self.sizes[b]} * {d} = {n} is not a positive integer")
            out[b] = int(n)
        return out

    def instantiate(self, d: int, values: dict, matrices: dict) -> tuple[sp.Matrix, dict]:
        """Exact sympy matrix L for dimension d, parameter values and Gaussian matrices.

        Returns ``(L, slices)`` with ``slices[block] = (start, stop)``.
        """
        dims = self.dimensions(d, values)
        off, slices = 0, {}
        for b in self.blocks:
            slices[b] = (off, off + dims[b])
            off += dims[b]
        L = sp.zeros(off, off)
        for (i, j), v in self.lam.items():
            bi, bj = self.blocks[i], self.blocks[j]
            val = sp.sympify(v).subs(values)
            (r0, _), (c0, _) = slices[bi], slices[bj]
            for t in range(dims[bi]):
                L[r0 + t, c0 + t] = val
        sq = sp.sqrt(sp.Integer(d))
        for name, places in self.gaussians.items():
            X = sp.Matrix(matrices[name])
            for i, j, c in places:
                bi, bj = self.blocks[i], self.blocks[j]
                if X.shape != (dims[bi], dims[bj]):
                    raise ValueError(f"matrix {name} has shape {X.shape}, block ({bi},{bj}) needs "
                                     f"{(dims[bi], dims[bj])}")
                cv = sp.sympify(c).subs(values) / sq
                (r0, r1), (c0, c1) = slices[bi], slices[bj]
                L[r0:r1, c0:c1] = L[r0:r1, c0:c1] + cv * X
                L[c0:c1, r0:r1] = L[c0:c1, r0:r1] + cv * X.T
        return L, slices

    def random_matrices(self, d: int, values: dict, rng, low: int = -3, high: int = 3) -> dict:
        """Small random integer matrices of the right shapes (for exact checks)."""
        dims = self.dimensions(d, values)
        out = {}
        for name, places in self.gaussians.items():
            i, j, _ = places[0]
            shape = (dims[self.blocks[i]], dims[self.blocks[j]])
            out[name] = sp.Matrix(rng.integers(low, high + 1, size=shape).tolist())
        return out
