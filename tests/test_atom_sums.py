"""The atom sums of a data spectrum (rmt_dsm.dsm.atoms), each against an independent route.

``AtomSum(j, n, c0, c1) = sum_k w_k l_k^j / (c0 + c1 l_k)^n`` is the only place where a spectrum of
more than EXPLICIT_MAX atoms (or a continuous one) enters the reduced Dyson system:

* its numerical value (numpy in double precision, for one point or arrays of points; mpmath at any
  precision) against the sum written out in exact rational arithmetic (sympy);
* its symbolic derivatives (``fdiff``: d/dc0 = -n AtomSum(j, n+1), d/dc1 = -n AtomSum(j+1, n+1)),
  which enter the solver only through the Newton Jacobian and the parameter derivatives, against
  numerical differentiation of the value (mpmath.diff at 40 digits).  A wrong derivative leaves the
  root unchanged (the residual is exact) but slows the continuation down by orders of magnitude
  (> 10 min for one two-atom-split point instead of 4 s): the solver tests would see it only through
  the derivative observables, after a very long run, so it is checked here directly;
* `BoundAtoms.sum` of a per-atom expression against `ExplicitAtoms.sum`, the sum written out term by
  term with the atoms substituted.

Atoms: distinct eigenvalues (with l_k = 1 a sum cannot tell l_k^j from l_k^(j+1), nor c0 from c1) and
decimal weights and eigenvalues, read exactly by both routes.
"""
import mpmath
import numpy as np
import pytest
import sympy as sp

from rmt_dsm.data_spectrum import atoms
from rmt_dsm.dsm.atoms import BoundAtoms, ExplicitAtoms, l

PAIRS = (("0.2", "0.3"), ("0.5", "1.25"), ("0.3", "2.5"))
SPEC = atoms([(float(w), float(x)) for w, x in PAIRS])
EXACT = [(sp.Rational(w), sp.Rational(x)) for w, x in PAIRS]
JN = [(0, 1), (1, 1), (2, 1), (0, 2), (1, 3), (2, 2)]
#: (c0, c1) as decimal (real, imaginary) parts: real, and complex as on the solver's paths
POINTS = [(("0.7", "0"), ("0.4", "0")), (("0.3", "0.2"), ("1.1", "-0.5"))]


def _exact(c):
    """(re, im) decimal strings as an exact sympy number."""
    return sp.Rational(c[0]) + sp.I * sp.Rational(c[1])


def _mp(c):
    """(re, im) decimal strings as an mpmath number at the working precision (mpf when real)."""
    return mpmath.mpf(c[0]) if sp.Rational(c[1]) == 0 else mpmath.mpc(c[0], c[1])


def _to_mp(v):
    """An exact sympy number to mpmath at the working precision."""
    v = sp.N(v, mpmath.mp.dps + 10)
    return mpmath.mpc(str(sp.re(v)), str(sp.im(v)))


def _reference(j, n, c0, c1):
    """sum_k w_k l_k^j / (c0 + c1 l_k)^n in exact rational arithmetic."""
    return sp.Add(*(w * x**j / (_exact(c0) + _exact(c1) * x) ** n for w, x in EXACT))


@pytest.mark.parametrize("c0,c1", POINTS)
@pytest.mark.parametrize("j,n", JN)
def test_atom_sum_values_equal_the_exact_sum(j, n, c0, c1):
    func = BoundAtoms(SPEC).func
    ref = _reference(j, n, c0, c1)
    with mpmath.workdps(40):
        mp = func._imp_(j, n, _mp(c0), _mp(c1))
        ref_mp = _to_mp(ref)
        assert abs(mp - ref_mp) <= mpmath.mpf(10) ** -36 * abs(ref_mp)
    dbl = complex(func._imp_(j, n, complex(_mp(c0)), complex(_mp(c1))))
    assert abs(dbl - complex(ref_mp)) <= 1e-14 * abs(complex(ref_mp))
    # arrays of points (a batched solve): one sum per point, here the point above between two others
    with mpmath.workdps(40):
        other = complex(_to_mp(_reference(j, n, ("2", "0"), ("0.5", "0"))))
    batch = func._imp_(j, n, np.array([2.0, complex(_mp(c0)), 2.0]), np.array([0.5, complex(_mp(c1)), 0.5]))
    assert batch.shape == (3,) and abs(batch[1] - complex(ref_mp)) <= 1e-14 * abs(complex(ref_mp))
    assert abs(batch[0] - other) <= 1e-14 * abs(other) and batch[2] == batch[0]


@pytest.mark.parametrize("c0,c1", POINTS)
@pytest.mark.parametrize("j,n", JN)
def test_atom_sum_derivatives_equal_numerical_differentiation(j, n, c0, c1):
    func = BoundAtoms(SPEC).func
    s0, s1 = sp.symbols("c0 c1")
    expr = func(j, n, s0, s1)
    with mpmath.workdps(40):
        v0, v1 = _mp(c0), _mp(c1)
        for sym, numeric in ((s0, lambda h: func._imp_(j, n, v0 + h, v1)),
                             (s1, lambda h: func._imp_(j, n, v0, v1 + h))):
            analytic = sp.lambdify((s0, s1), expr.diff(sym), modules="mpmath")(v0, v1)
            finite = mpmath.diff(numeric, 0)
            assert abs(analytic - finite) <= mpmath.mpf(10) ** -30 * abs(finite), (sym, analytic, finite)


@pytest.mark.parametrize("expr", ["1/(y + x*l)", "l/(1 - x*l)", "(x + y*l)/(y + 2*l)", "l**2/(x*y + l)",
                                  "(1 + l)/y"])
def test_bound_reduction_equals_the_written_out_sum(expr):
    x, y = sp.symbols("x y")
    per_atom = sp.sympify(expr, locals={"l": l, "x": x, "y": y})
    bound = sp.lambdify((x, y), BoundAtoms(SPEC).sum(per_atom), modules="mpmath")
    explicit = ExplicitAtoms(3)
    written = explicit.sum(per_atom).xreplace({s: v for k, (w, lk) in enumerate(EXACT)
                                               for s, v in ((explicit.w[k], w), (explicit.l[k], lk))})
    for xv, yv in ((("0.35", "0"), ("1.7", "0")), (("0.2", "0.3"), ("0.9", "-0.1"))):
        with mpmath.workdps(40):
            got = bound(_mp(xv), _mp(yv))
            ref = _to_mp(written.xreplace({x: _exact(xv), y: _exact(yv)}))
            assert abs(got - ref) <= mpmath.mpf(10) ** -36 * max(1, abs(ref)), (xv, yv)


def test_bound_reduction_refuses_a_denominator_of_degree_two():
    with pytest.raises(ValueError, match="per-atom expression"):
        BoundAtoms(SPEC).sum(1 / (1 + l**2))
