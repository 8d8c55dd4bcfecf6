"""Gaussian moments of an activation, in double precision or at any precision.

With ``z ~ N(0, 1)`` and ``Gamma = sqrt(Gamma2)`` this module computes

* ``mean(act, Gamma2)``   mu0      = E sigma(Gamma z)
* ``slope(act, Gamma2)``  mu1      = E sigma'(Gamma z)   (= E[z sigma(Gamma z)] / Gamma, Stein)
* ``second(act, Gamma2)`` ||sigma||^2 = E sigma(Gamma z)^2
* ``cross(act, var, cov)`` E[sigma(h) sigma(h')] for centered jointly Gaussian (h, h') with
  E h^2 = E h'^2 = var and E h h' = cov.  Writing h = s u + b g, h' = s u + b g' with
  s = sqrt(cov), b = sqrt(var - cov) and u, g, g' i.i.d. N(0, 1) (conditioning on the shared
  component u) this is E_u[sigmabar(u)^2], sigmabar(u) = E_g sigma(s u + b g).
* ``smoothed(act, a, delta)`` sigmabar(u) = E_g sigma(a u + sqrt(delta) g), symbolically when a
  closed form is known or found by sympy, otherwise a callable evaluated by quadrature.

Precision convention (docs/model.md, "Numerical contract").  ``dps=None`` -> Python floats (double-precision fast path);
``dps=D`` (int) -> ``mpmath.mpf`` computed under ``mpmath.workdps(D + GUARD)`` and rounded to D
digits.  Numeric inputs may be int, float, str (exact decimal, e.g. ``"0.1"``), ``mpmath.mpf``,
``fractions.Fraction`` or a sympy number; they are converted with ``mpmath.mpf`` at the working
precision (floats exactly, strings correctly rounded).

Methods.

* Closed forms (derived and checked with sympy in ``derivations/check_equivalence.py``):
  erf: mu0 = 0, mu1 = 2 / sqrt(pi (1 + 2 Gamma^2)), ||sigma||^2 = (2/pi) asin(2 Gamma^2/(1 + 2 Gamma^2)),
  cross = (2/pi) asin(2 cov / (1 + 2 var));
  relu: mu0 = Gamma / sqrt(2 pi), mu1 = 1/2, ||sigma||^2 = Gamma^2 / 2,
  cross = var/(2 pi) (sin th + (pi - th) cos th), cos th = cov / var (arc-cosine kernel).
* One-dimensional moments of other activations: ``mpmath.quad`` (tanh-sinh) over the real line
  with the Gaussian weight, split at 0 and at the kinks of the activation (max, abs, Heaviside, ...);
  odd/even symmetry is used (mu0 = 0 for odd sigma, half-line integrals for even integrands).
  tanh has poles at +-i pi/2: the integrand is analytic in a strip, which tanh-sinh handles
  (checked: D vs D + 10 digits agree).
* The cross moment of smooth activations: nested trapezoidal rule on the real line with the
  Gaussian weight (spectrally accurate for integrands analytic in a strip), both steps halved
  until two successive levels agree to ``10**(-0.6 * working dps)`` relative to ||sigma||^2 (the
  error of the trapezoidal rule is squared at each halving, so the last level is accurate to
  working precision).  The grids are chosen so that every argument s u_i + b g_j lies on one
  lattice: sigma is evaluated O(I + J) times instead of O(I J).  Kinked custom activations use a
  trapezoidal outer rule (sigmabar is entire) with ``mpmath.quad`` split at the kinks inside.
* Double path: closed forms (evaluated with mpmath at 30 digits, then rounded), numpy
  trapezoidal grids for smooth activations, ``scipy.integrate.quad`` with breakpoints for kinked
  ones.
"""
from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import mpmath
import numpy as np

from ._lazy import is_sympy
from ._lazy import sympy as sp
from .activations import NAMED_NAMES, NAMED_NUMERIC, Activation, get_activation
from .hermite import hermite_coefficients
from .moments_hp import correlate_fixed, fixed_bits, fixed_dot, from_fixed, gauss_smooth, to_fixed
from .precision import GUARD as PRECISION_GUARD

__all__ = ["mean", "slope", "second", "cross", "smoothed", "u", "GUARD", "split_double"]

#: the digits by which a requested precision is raised (`rmt_dsm.precision.GUARD`)
GUARD = PRECISION_GUARD
#: digits of the closed forms (erf, relu) evaluated for the double-precision path
_CLOSED_FORM_DPS = 30
#: |cov| / var below which the cross moment is summed as a Hermite series
RHO_SERIES = 0.1
#: (kind, parity, kinks) of the named activations, as `_info` derives them from the expressions
#: (tests/test_cold_start.py compares): no sympy on their numeric paths
NAMED_INFO = {"tanh": ("smooth", -1, ()), "erf": ("erf", -1, ()), "relu": ("relu", 0, ())}


def __getattr__(name):  # u, the symbol of the argument of `smoothed`, needs sympy: made on first use
    if name == "u":
        return _u()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=None)
def _u():
    return sp.Symbol("u", real=True)


def _x():
    from .activations import _symbols

    return _symbols()["x"]


# ---------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------
def _activation(act) -> Activation:
    if isinstance(act, Activation):
        return act
    if is_sympy(act):
        act = str(act)
    if not isinstance(act, str):
        raise ValueError(f"activation must be a name or a sympy expression in x, got {act!r}")
    return get_activation(act)


def _key(value, name: str):
    """A hashable, exact key for a numeric input (so that caching never mixes precisions)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{name} must be a number, got {value!r}")
    if isinstance(value, int):
        return ("q", value, 1)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
        return ("f", value.hex())
    if isinstance(value, Fraction):
        return ("q", value.numerator, value.denominator)
    if isinstance(value, mpmath.mpf):
        if not mpmath.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
        return ("m", value._mpf_)
    if is_sympy(value) and isinstance(value, sp.Rational):
        return ("q", int(value.p), int(value.q))
    if is_sympy(value) and isinstance(value, sp.Float):
        return ("m", value._mpf_)
    if isinstance(value, np.floating):
        return _key(float(value), name)
    if isinstance(value, np.integer):
        return _key(int(value), name)
    if isinstance(value, str):
        s = value.strip()
        try:
            with mpmath.workdps(30):
                v = mpmath.mpf(s)
        except (ValueError, TypeError):
            raise ValueError(f"{name} must be a number, got {value!r}") from None
        if not mpmath.isfinite(v):
            raise ValueError(f"{name} must be finite, got {value!r}")
        return ("s", s)
    raise ValueError(f"{name} must be a number (int, float, str, mpf), got {value!r}")


def _num(key):
    """The mpf of a key at the current working precision."""
    tag = key[0]
    if tag == "q":
        return mpmath.mpf(key[1]) / key[2]
    if tag == "f":
        return mpmath.mpf(float.fromhex(key[1]))
    if tag == "m":
        return +mpmath.mpf(key[1])
    return mpmath.mpf(key[1])


def _check_dps(dps):
    if dps is None:
        return None
    if isinstance(dps, bool) or not isinstance(dps, (int, np.integer)) or dps < 1:
        raise ValueError(f"dps must be a positive integer or None, got {dps!r}")
    return int(dps)


def _out(value, dps):
    """Round a working-precision value to the requested digits (float for ``dps=None``)."""
    if dps is None:
        return float(value)
    with mpmath.workdps(dps):
        return +value


def _float_or(value, w):
    """A closed form evaluated at ``w`` digits: a float on the double path (``w=None``)."""
    return float(value) if w is None else value


def _wdps(dps):
    return _CLOSED_FORM_DPS if dps is None else dps + GUARD


# ---------------------------------------------------------------------------------------------
# activation classification
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=128)
def _info(act: Activation):
    """(kind, parity, kinks): kind in {'erf', 'relu', 'smooth', 'kinked'}, parity in {1, -1, 0}
    (even, odd, neither), kinks = sorted real breakpoints (sympy numbers) of a kinked expression."""
    if act.name in NAMED_INFO:
        return NAMED_INFO[act.name]
    return _info_symbolic(act)


def _info_symbolic(act: Activation):
    """`_info` from the sympy expression."""
    x = _x()
    e = act.expr
    if e == sp.erf(x):
        return "erf", -1, ()
    if e == sp.Max(x, 0):
        return "relu", 0, ()
    parity = 0
    try:
        if sp.simplify(e.subs(x, -x) + e) == 0:
            parity = -1
        elif sp.simplify(e.subs(x, -x) - e) == 0:
            parity = 1
    except Exception:  # pragma: no cover - sympy failure only costs speed
        parity = 0
    if not e.has(sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign, sp.Piecewise, sp.floor, sp.ceiling):
        return "smooth", parity, ()
    eqs = []
    for node in sp.preorder_traversal(e):
        if isinstance(node, (sp.Max, sp.Min)):
            args = node.args
            eqs += [a1 - a2 for i, a1 in enumerate(args) for a2 in args[i + 1:]]
        elif isinstance(node, (sp.Abs, sp.Heaviside, sp.sign, sp.floor, sp.ceiling)):
            eqs.append(node.args[0])
        elif isinstance(node, sp.Piecewise):
            for _, cond in node.args:
                if isinstance(cond, sp.core.relational.Relational):
                    eqs.append(cond.lhs - cond.rhs)
    kinks = set()
    for q in eqs:
        try:
            sol = sp.solveset(q, x, domain=sp.S.Reals)
        except Exception:
            continue
        if isinstance(sol, sp.FiniteSet):
            kinks |= {r for r in sol if r.is_real}
    return "kinked", parity, tuple(sorted(kinks, key=lambda r: float(r)))


@lru_cache(maxsize=128)
def _mp_fun(act: Activation, which: str):
    """mpmath-callable sigma (which='f') or sigma' (which='df')."""
    if act.name in NAMED_NAMES:
        f = NAMED_NUMERIC[act.name][1][0 if which == "f" else 1]
        return lambda v: mpmath.mpf(f(v))
    x = _x()
    expr = act.expr if which == "f" else act.derivative_expr
    heav = lambda v, h0=0.5: mpmath.mpf(0) if v < 0 else (mpmath.mpf(1) if v > 0 else mpmath.mpf(h0))
    f = sp.lambdify(x, expr, modules=[{"Heaviside": heav}, "mpmath"])
    if not expr.has(x):
        c = expr
        return lambda v: mpmath.mpf(sp.N(c, mpmath.mp.dps + 5))
    return lambda v: mpmath.mpf(f(v))


def _np_fun(act: Activation):
    return act.__call__


# ---------------------------------------------------------------------------------------------
# one-dimensional Gaussian integrals (mpmath)
# ---------------------------------------------------------------------------------------------
def _mpk(k):
    """A kink (sympy number or mpf) as an mpf at the working precision."""
    return k if isinstance(k, mpmath.mpf) else mpmath.mpf(sp.N(k, mpmath.mp.dps + 5))


def _mp_gauss(f, Gamma, kinks=(), half=False):
    """E f(Gamma z) = (2 pi)^(-1/2) int f(Gamma z) e^(-z^2/2) dz, split at 0 and at kinks/Gamma.
    half=True: f(Gamma z) e^(-z^2/2) is even, integrate over [0, inf) and double."""
    g = lambda z: f(Gamma * z) * mpmath.exp(-z * z / 2)
    pts = sorted({mpmath.mpf(0)} | {_mpk(k) / Gamma for k in kinks})
    if half:
        pts = [p for p in pts if p >= 0]
        val = 2 * mpmath.quad(g, pts + [mpmath.inf])
    else:
        val = mpmath.quad(g, [-mpmath.inf] + pts + [mpmath.inf])
    return val / mpmath.sqrt(2 * mpmath.pi)


# ---------------------------------------------------------------------------------------------
# one-dimensional Gaussian integrals (double)
# ---------------------------------------------------------------------------------------------
def _np_trap(f, Gamma, rtol=1e-8):
    """E f(Gamma z) by the trapezoidal rule on [-L, L] with step halving (spectral for smooth f)."""
    L = 9.0 + 2.0 * Gamma
    h = 0.5 / max(1.0, Gamma)
    prev = None
    for _ in range(14):
        n = int(math.ceil(L / h))
        z = h * np.arange(-n, n + 1)
        val = h * float(np.sum(f(Gamma * z) * np.exp(-z * z / 2))) / math.sqrt(2 * math.pi)
        if prev is not None and abs(val - prev) <= rtol * max(1.0, abs(val)):
            return val
        prev, h = val, h / 2
    raise ArithmeticError(f"Gaussian moment did not converge (Gamma={Gamma})")


def _sc_gauss(f, Gamma, kinks=()):
    """E f(Gamma z) by scipy.integrate.quad with breakpoints at the kinks (double)."""
    from scipy.integrate import quad

    L = 12.0 + 2.0 * Gamma
    pts = sorted({-L, 0.0, L} | {float(k) / Gamma for k in kinks if abs(float(k) / Gamma) < L})
    tot = 0.0
    for lo, hi in zip(pts[:-1], pts[1:]):
        tot += quad(lambda z: f(Gamma * z) * math.exp(-z * z / 2), lo, hi, epsabs=1e-15, epsrel=1e-13, limit=200)[0]
    return tot / math.sqrt(2 * math.pi)


def _scalar(f):
    return lambda v: float(np.asarray(f(np.asarray([v], dtype=float)))[0])


# ---------------------------------------------------------------------------------------------
# public one-dimensional moments
# ---------------------------------------------------------------------------------------------
def _gamma_key(Gamma2, name="Gamma2"):
    k = _key(Gamma2, name)
    with mpmath.workdps(30):
        if not _num(k) > 0:
            raise ValueError(f"{name} must be > 0, got {Gamma2!r}")
    return k


def mean(act, Gamma2, dps=None):
    """mu0 = E sigma(Gamma z), z ~ N(0,1), Gamma^2 = Gamma2.

    Examples
    --------
    >>> mean("relu", 1.0)                       # Gamma / sqrt(2 pi)
    0.3989422804014327
    >>> mean("tanh", "0.5", dps=20)
    mpf('0.0')
    >>> mean("tanh", 0)
    Traceback (most recent call last):
    ...
    ValueError: Gamma2 must be > 0, got 0
    """
    a = _activation(act)
    return _moment1("mean", a, _gamma_key(Gamma2), _check_dps(dps))


def slope(act, Gamma2, dps=None):
    """mu1 = E sigma'(Gamma z) (= E[z sigma(Gamma z)]/Gamma by Stein's lemma).

    Examples
    --------
    >>> slope("erf", 1.0)                       # 2/sqrt(3 pi)
    0.6514700158705599
    >>> slope("relu", "2", dps=15)
    mpf('0.5')
    """
    a = _activation(act)
    return _moment1("slope", a, _gamma_key(Gamma2), _check_dps(dps))


def second(act, Gamma2, dps=None):
    """||sigma||^2 = E sigma(Gamma z)^2.

    Examples
    --------
    >>> second("relu", 3.0)                     # Gamma^2 / 2
    1.5
    >>> round(second("tanh", 1.0), 12)
    0.394294490398
    """
    a = _activation(act)
    return _moment1("second", a, _gamma_key(Gamma2), _check_dps(dps))


def _moment1(what, act, gkey, dps):
    """A one-dimensional moment at ``dps`` digits (computed at dps + GUARD, rounded), or a float."""
    if dps is None:
        return _moment1_at(what, act, gkey, None)
    return _out(_moment1_at(what, act, gkey, dps + GUARD), dps)


@lru_cache(maxsize=4096)
def _moment1_at(what, act, gkey, w):
    """The moment at exactly ``w`` working digits, unrounded (``w=None``: double precision)."""
    kind, parity, kinks = _info(act)
    with mpmath.workdps(_CLOSED_FORM_DPS if w is None else w):
        G2 = _num(gkey)
        G = mpmath.sqrt(G2)
        if kind == "erf":
            val = {
                "mean": mpmath.mpf(0),
                "slope": 2 / mpmath.sqrt(mpmath.pi * (1 + 2 * G2)),
                "second": 2 / mpmath.pi * mpmath.asin(2 * G2 / (1 + 2 * G2)),
            }[what]
            return _float_or(val, w)
        if kind == "relu":
            val = {"mean": G / mpmath.sqrt(2 * mpmath.pi), "slope": mpmath.mpf(1) / 2, "second": G2 / 2}[what]
            return _float_or(val, w)
        if what == "mean" and parity == -1:
            return _float_or(mpmath.mpf(0), w)
        if w is None:
            return _moment1_double(what, act, kind, parity, kinks, float(G))
        if kind == "smooth":  # trapezoidal lattice: far fewer evaluations than tanh-sinh at high dps
            return gauss_smooth(_mp_fun(act, "f"), G, "stein" if what == "slope" else what, parity)
        if what == "mean":
            return _mp_gauss(_mp_fun(act, "f"), G, kinks, half=parity == 1)
        if what == "second":
            f = _mp_fun(act, "f")
            return _mp_gauss(lambda v: f(v) ** 2, G, kinks, half=parity != 0)
        if kind == "smooth":
            return _mp_gauss(_mp_fun(act, "df"), G, kinks, half=parity == -1)
        # Stein: E sigma'(G z) = E[z sigma(G z)] / G  (no Dirac masses needed)
        f = _mp_fun(act, "f")
        return _mp_gauss(lambda v: v * f(v), G, kinks, half=parity == -1) / G2


def _moment1_double(what, act, kind, parity, kinks, G):
    f = _np_fun(act)
    if what == "mean":
        g = f
    elif what == "second":
        g = lambda v: f(v) ** 2
    elif kind == "smooth":
        g = act.derivative
    else:
        g = lambda v: v * f(v) / (G * G)
    if kind == "smooth":
        return _np_trap(g, G)
    return _sc_gauss(_scalar(g), G, kinks)


# ---------------------------------------------------------------------------------------------
# cross moment
# ---------------------------------------------------------------------------------------------
def cross(act, var, cov, dps=None):
    """E[sigma(h) sigma(h')], (h, h') centered Gaussian, E h^2 = E h'^2 = var, E h h' = cov.

    Equals E_u[sigmabar(u) sigmabar(sign(cov) u)], sigmabar(u) = E_g sigma(sqrt|cov| u + sqrt(var-|cov|) g).

    Examples
    --------
    >>> import math
    >>> abs(cross("erf", 1.0, 0.5) - 2 / math.pi * math.asin(1 / 3)) < 1e-15
    True
    >>> cross("relu", 2.0, 2.0)                 # cov = var: ||sigma||^2 = var / 2
    1.0
    >>> cross("tanh", 1.0, 1.5)
    Traceback (most recent call last):
    ...
    ValueError: cov must satisfy |cov| <= var, got var=1.0, cov=1.5
    """
    a = _activation(act)
    vkey = _gamma_key(var, "var")
    ckey = _key(cov, "cov")
    with mpmath.workdps(30):
        if abs(_num(ckey)) > _num(vkey) * (1 + mpmath.mpf(10) ** -25):
            raise ValueError(f"cov must satisfy |cov| <= var, got var={var!r}, cov={cov!r}")
    return _cross(a, vkey, ckey, _check_dps(dps))


def _cross(act, vkey, ckey, dps):
    """The cross moment at ``dps`` digits (computed at dps + GUARD, rounded), or a float."""
    if dps is None:
        return _cross_at(act, vkey, ckey, None)
    return _out(_cross_at(act, vkey, ckey, dps + GUARD), dps)


@lru_cache(maxsize=4096)
def _cross_at(act, vkey, ckey, w):
    """E[sigma(h) sigma(h')] at exactly ``w`` working digits, unrounded (``w=None``: double)."""
    kind, parity, kinks = _info(act)
    with mpmath.workdps(_CLOSED_FORM_DPS if w is None else w):
        var, cov = _num(vkey), _num(ckey)
        cov = max(min(cov, var), -var)
        if kind == "erf":
            return _float_or(2 / mpmath.pi * mpmath.asin(2 * cov / (1 + 2 * var)), w)
        if kind == "relu":
            c = cov / var
            th = mpmath.acos(c)
            return _float_or(var / (2 * mpmath.pi) * (mpmath.sin(th) + (mpmath.pi - th) * c), w)
        if cov == var:
            return _moment1_at("second", act, vkey, w)
        if cov == 0:
            return _moment1_at("mean", act, vkey, w) ** 2
        if w is not None and abs(cov) <= RHO_SERIES * var:
            # weakly correlated pair: the Hermite series converges like (cov/var)^k [derivations/gaussian_equivalence.md §2]
            h = hermite_coefficients(act, vkey, cov / var)
            return mpmath.fsum(hk * hk * (cov / var) ** k for k, hk in enumerate(h))
        if cov < 0 and parity != 0:  # sigmabar(-u) = parity * sigmabar(u)
            return parity * _cross_at(act, vkey, _neg_key(ckey), w)
        if w is None:
            fv, fc = float(var), float(cov)
            return _split_double(act, fv, fc)[0] if fc > 0 else _cross_double_neg(act, fv, fc)
        s, b = mpmath.sqrt(abs(cov)), mpmath.sqrt(var - abs(cov))
        scale = _moment1_at("second", act, vkey, w)
        return _mp_cross(act, s, b, cov < 0, scale)


def _key_value(key):
    """Exact re-materialization of a key as an input accepted by the public functions."""
    tag = key[0]
    if tag == "q":
        return Fraction(key[1], key[2])
    if tag == "f":
        return float.fromhex(key[1])
    if tag == "m":
        return mpmath.mpf(key[1])
    return key[1]


def _neg_key(key):
    tag = key[0]
    if tag == "q":
        return ("q", -key[1], key[2])
    if tag == "f":
        return ("f", (-float.fromhex(key[1])).hex())
    if tag == "m":
        sgn, man, exp, bc = key[1]
        return ("m", (1 - sgn, man, exp, bc))
    s = key[1]
    return ("s", s[1:] if s.startswith("-") else "-" + s)


def _mp_cross(act, s, b, negative, scale):
    """E_u[sigmabar(u) sigmabar(+-u)] at the current working precision (s, b > 0)."""
    kind, parity, kinks = _info(act)
    wdps = mpmath.mp.dps
    tol = mpmath.mpf(10) ** (-int(0.6 * wdps)) * max(scale, mpmath.mpf(10) ** (-wdps))
    Gamma = mpmath.sqrt(s * s + b * b)
    L = mpmath.sqrt(2 * wdps * mpmath.log(10)) + 2 * Gamma + 1
    f = _mp_fun(act, "f")
    symmetric = parity != 0 and not negative
    sq2pi = mpmath.sqrt(2 * mpmath.pi)
    if kind == "kinked":
        ks = [_mpk(k) for k in kinks]

        def sbar_kinked(uu):
            c = s * uu
            pts = sorted({(k - c) / b for k in ks} | {-c / b})
            g = lambda t: f(c + b * t) * mpmath.exp(-t * t / 2)
            return mpmath.quad(g, [-mpmath.inf] + pts + [mpmath.inf]) / sq2pi

        memo = {}
        hu0 = mpmath.mpf(1) / 2 / max(1, s)
        KK = 30

        def sb_at(n):  # u = n * hu0 * 2^-KK
            v = memo.get(n)
            if v is None:
                v = memo[n] = sbar_kinked(n * hu0 / 2**KK)
            return v

        def level(k):
            hu = hu0 / 2**k
            n = int(mpmath.ceil(L / hu))
            step = 2 ** (KK - k)
            tot = mpmath.mpf(0)
            for i in range(-n, n + 1):
                v1 = sb_at(i * step)
                v2 = sb_at(-i * step) if negative else v1
                tot += v1 * v2 * mpmath.exp(-(i * hu) ** 2 / 2)
            return hu * tot / sq2pi

        prev = level(0)
        for k in range(1, 14):
            cur = level(k)
            if abs(cur - prev) <= tol:
                return cur
            prev = cur
        raise ArithmeticError(f"cross moment of {act.name} did not converge (s={s}, b={b})")

    # Trapezoidal grids u_i = i hu, g_j = j hg with hu = hu0 2^-ku, hg = hg0 2^-kg.  hu0 is an
    # integer multiple of b hg0 / s, so every argument s u_i + b g_j is n * b hg0 2^-K for an
    # integer n: sigma is memoized on that lattice across all levels.
    K = 40
    hg0 = mpmath.mpf(1) / 2 / max(1, b)
    hu_t = mpmath.mpf(1) / 2 / max(1, s)  # initial outer step
    m0 = max(1, int(mpmath.nint(hu_t * s / (b * hg0))))
    hu0 = m0 * b * hg0 / s
    ku = 0
    while hu0 / 2**ku > hu_t * 1.5:
        ku += 1
    kg = 0
    unit = b * hg0 / 2**K
    fmemo, sbmemo = {}, {}
    sq = 1 / sq2pi

    P = fixed_bits()  # inner sums in fixed point (moments_hp): exact integer dot products

    def sigma_at(n):
        v = fmemo.get(n)
        if v is None:
            v = fmemo[n] = to_fixed(f(n * unit), P)
        return v

    gw = {}

    def gweights(kg):
        if kg not in gw:
            hg = hg0 / 2**kg
            J = int(mpmath.ceil(L / hg))
            half = [to_fixed(hg * sq * mpmath.exp(-(j * hg) ** 2 / 2), P) for j in range(J + 1)]
            gw[kg] = (J, half[:0:-1] + half)  # even in j
        return gw[kg]

    def sbar(n_u, kg):
        # u = n_u * hu0 2^-K ; s u = n_u * m0 * unit
        key = (n_u, kg)
        v = sbmemo.get(key)
        if v is None:
            J, w = gweights(kg)
            base, step = n_u * m0, 2 ** (K - kg)
            idx = range(base - J * step, base + J * step + 1, step)
            v = sbmemo[key] = fixed_dot(w, [fmemo[n] if n in fmemo else sigma_at(n) for n in idx], P)
        return v

    def prefill(ku, kg, I):
        """All missing sigmabar of level (ku, kg) by one correlation (moments_hp), when the
        outer nodes fall on the inner sub-lattice of this level."""
        J, w = gweights(kg)
        hstep, step = 2 ** (K - ku), 2 ** (K - kg)
        todo = sorted({n for i in range(0 if symmetric else -I, I + 1)
                       for n in ((i * hstep, -i * hstep) if negative else (i * hstep,)) if (n, kg) not in sbmemo})
        if len(todo) < 8 or any(n * m0 % step for n in todo) or (hstep * m0 // step) > 2 * J + 1:
            return
        q = [n * m0 // step for n in todo]
        lo = q[0] - J
        c = correlate_fixed(w, [sigma_at(r * step) for r in range(lo, q[-1] + J + 1)])
        for n, qq in zip(todo, q):
            sbmemo[(n, kg)] = from_fixed(c[qq - J - lo], P)

    umemo = {}

    def level(ku, kg):
        hu = hu0 / 2**ku
        I = int(mpmath.ceil(L / hu))
        prefill(ku, kg, I)
        step = 2 ** (K - ku)
        tot = mpmath.mpf(0)
        for i in range(0 if symmetric else -I, I + 1):
            v = sbar(i * step, kg)
            if i * step not in umemo:  # outer Gaussian weight, once per node over all levels
                umemo[i * step] = mpmath.exp(-(i * hu) ** 2 / 2)
            term = umemo[i * step] * v * (sbar(-i * step, kg) if negative else v)
            tot += term if (not symmetric or i == 0) else 2 * term
        return hu * sq * tot

    for _ in range(2 * 14):
        cur = level(ku, kg)
        cg = level(ku, kg + 1)
        cu = level(ku + 1, kg)
        dg, du = abs(cg - cur) > tol, abs(cu - cur) > tol
        if not (dg or du):
            return cu + cg - cur  # = level(ku + 1, kg + 1) up to products of the two errors
        kg += dg
        ku += du and not dg  # the outer integrand is entire only once the inner rule has converged
        if max(ku, kg) > K - 2:
            break
    raise ArithmeticError(f"cross moment of {act.name} did not converge (s={s}, b={b})")


# ---------------------------------------------------------------------------------------------
# double-precision two-dimensional integrals
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def split_double(act, c, delta, mu0, mu1):
    """(E_u sigmabar^2, v2, s2) in double precision for h = sqrt(c) u + sqrt(delta) g, computed
    cancellation-free as nonnegative integrals (mu0, mu1 are the moments at Gamma^2 = c + delta):

        v2 = E_u[(sigmabar(u) - mu0 - mu1 sqrt(c) u)^2],
        s2 = E_{u,g}[(sigma(h) - sigmabar(u) - mu1 sqrt(delta) g)^2].

    Examples
    --------
    >>> from rmt_dsm.activations import get_activation
    >>> e, v2, s2 = split_double(get_activation("erf"), 0.5, 0.5, 0.0, slope("erf", 1.0))
    >>> abs(e - cross("erf", 1.0, 0.5)) < 1e-14
    True
    """
    act = _activation(act)
    kind, parity, kinks = _info(act)
    s, b = math.sqrt(c), math.sqrt(delta)
    f = _np_fun(act)
    if kind == "kinked" or kind == "relu":
        return _split_scipy(act, s, b, mu0, mu1, kinks)
    Gamma = math.hypot(s, b)
    L = 9.0 + 2.0 * Gamma
    hg, hu = 0.5 / max(1.0, b), 0.5 / max(1.0, s)
    prev = None
    for _ in range(12):
        I, J = int(math.ceil(L / hu)), int(math.ceil(L / hg))
        uu = hu * np.arange(-I, I + 1)
        gg = hg * np.arange(-J, J + 1)
        wu = hu * np.exp(-uu * uu / 2) / math.sqrt(2 * math.pi)
        wg = hg * np.exp(-gg * gg / 2) / math.sqrt(2 * math.pi)
        F = f(s * uu[:, None] + b * gg[None, :])
        sb = F @ wg
        e2 = float(wu @ (sb * sb))
        v2 = float(wu @ (sb - mu0 - mu1 * s * uu) ** 2)
        s2 = float(wu @ (((F - sb[:, None] - mu1 * b * gg[None, :]) ** 2) @ wg))
        cur = np.array([e2, v2, s2])
        if prev is not None and np.max(np.abs(cur - prev)) <= 1e-8 * max(1.0, abs(e2)):
            return e2, v2, s2
        prev, hg, hu = cur, hg / 2, hu / 2
    raise ArithmeticError(f"Gaussian split of {act.name} did not converge (c={c}, delta={delta})")


def _split_double(act, var, cov):
    s2 = cov
    d = var - cov
    return split_double(act, s2, d, mean(act, var), slope(act, var))


def _inner_scipy(fun, c, b, ks):
    """E_g fun(g), g ~ N(0, 1), by scipy quad on [-Lg, Lg] split where c + b g hits a kink in ks."""
    from scipy.integrate import quad

    Lg = 12.0 + 2.0 * b
    pts = sorted({-Lg, Lg} | {(k - c) / b for k in ks if abs((k - c) / b) < Lg})
    return sum(quad(lambda t: fun(t) * math.exp(-t * t / 2), lo, hi, epsabs=1e-14, epsrel=1e-12, limit=200)[0]
               for lo, hi in zip(pts[:-1], pts[1:])) / math.sqrt(2 * math.pi)


def _split_scipy(act, s, b, mu0, mu1, kinks):
    from scipy.integrate import quad

    f = _scalar(_np_fun(act))
    ks = [float(k) for k in kinks] or [0.0]
    sq = math.sqrt(2 * math.pi)
    inner = lambda fun, c: _inner_scipy(fun, c, b, ks)

    def sbar(uu):
        return inner(lambda t: f(s * uu + b * t), s * uu)

    def priv(uu):
        sbu = sbar(uu)
        return inner(lambda t: (f(s * uu + b * t) - sbu - mu1 * b * t) ** 2, s * uu)

    Lu = 12.0 + 2.0 * s
    o = lambda fun: quad(lambda t: fun(t) * math.exp(-t * t / 2), -Lu, Lu, epsabs=1e-14, epsrel=1e-12, limit=200)[0] / sq
    e2 = o(lambda t: sbar(t) ** 2)
    v2 = o(lambda t: (sbar(t) - mu0 - mu1 * s * t) ** 2)
    s2 = o(priv)
    return e2, v2, s2


def _cross_double_neg(act, var, cov):
    from scipy.integrate import quad

    _, _, kinks = _info(act)
    s, b = math.sqrt(-cov), math.sqrt(var + cov)
    f = _scalar(_np_fun(act))
    sq = math.sqrt(2 * math.pi)
    ks = [float(k) for k in kinks] or [0.0]

    def sbar(uu):
        c = s * uu
        return _inner_scipy(lambda t: f(c + b * t), c, b, ks)

    Lu = 12.0 + 2.0 * s
    return quad(lambda t: sbar(t) * sbar(-t) * math.exp(-t * t / 2), -Lu, Lu, epsabs=1e-14, epsrel=1e-12)[0] / sq


# ---------------------------------------------------------------------------------------------
# smoothed activation
# ---------------------------------------------------------------------------------------------
def _sym(value, name):
    k = _key(value, name)
    tag = k[0]
    if tag == "q":
        return sp.Rational(k[1], k[2])
    if tag == "s":
        try:
            return sp.Rational(k[1])
        except (TypeError, ValueError):
            return sp.Float(k[1], 50)
    if tag == "f":
        return sp.Float(float.fromhex(k[1]))
    return sp.Float(mpmath.mpf(k[1]))


def smoothed(act, a, delta, dps=None):
    """sigmabar(u) = E_g sigma(a u + sqrt(delta) g), g ~ N(0, 1).

    Returns a sympy expression in `u` when a closed form is known (erf, relu) or sympy
    finds one (activations built from polynomials and exp), else a callable u -> value computed
    by quadrature (float, or mpf at ``dps`` digits).

    Examples
    --------
    >>> smoothed("erf", 1, "0.5")
    erf(sqrt(2)*u/2)
    >>> smoothed("x*exp(-x**2)", 1, 1)
    sqrt(3)*u*exp(-u**2/3)/9
    >>> f = smoothed("tanh", 1, 1); round(f(0.3), 10)
    0.1800892522
    """
    act_ = _activation(act)
    x, u = _x(), _u()
    A, D = _sym(a, "a"), _sym(delta, "delta")
    if D < 0:
        raise ValueError(f"delta must be >= 0, got {delta!r}")
    kind, parity, kinks = _info(act_)
    if D == 0:
        return act_.expr.subs(x, A * u)
    b = sp.sqrt(D)
    if kind == "erf":
        return sp.erf(A * u / sp.sqrt(1 + 2 * D))
    if kind == "relu":
        c = A * u
        return c * (1 + sp.erf(c / (b * sp.sqrt(2)))) / 2 + b * sp.exp(-c**2 / (2 * D)) / sp.sqrt(2 * sp.pi)
    funcs = {type(f) for f in act_.expr.atoms(sp.Function)}
    if kind == "smooth" and funcs <= {sp.exp}:
        g = sp.Symbol("g", real=True)
        res = sp.integrate(act_.expr.subs(x, A * u + b * g) * sp.exp(-g**2 / 2) / sp.sqrt(2 * sp.pi), (g, -sp.oo, sp.oo))
        if not res.has(sp.Integral):
            return sp.simplify(res)
    dps = _check_dps(dps)
    akey, dkey = _key(a, "a"), _key(delta, "delta")

    def sbar(uu):
        with mpmath.workdps(_wdps(dps)):
            c = _num(akey) * mpmath.mpf(uu)
            bb = mpmath.sqrt(_num(dkey))
            pts = [(_mpk(k) - c) / bb for k in kinks] + [-c / bb]
            if dps is None:
                cf, bf = float(c), float(bb)
                g = lambda t: float(np.asarray(act_(np.asarray([cf + bf * t])))[0])
                return _sc_gauss(g, 1.0, [float(p) for p in pts])
            f = _mp_fun(act_, "f")
            return _out(_mp_gauss(lambda t: f(c + bb * t), 1, pts), dps)

    return sbar
