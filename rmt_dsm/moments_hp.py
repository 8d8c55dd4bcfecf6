r"""High-precision Gaussian quadrature for smooth activations: trapezoidal lattices and
fixed-point sums (used by `rmt_dsm.moments` at ``dps`` digits).

Method (the one of `rmt_dsm.moments`): the trapezoidal rule on the real line with the
Gaussian weight, whose error for an integrand analytic in a strip decays like
$e^{-2\pi d/h}$ (d the half-width of the strip), so that halving h squares the error;
the steps are halved until two successive levels agree to ``10^(-0.6 w)`` (w the working
digits), after which the last level is accurate to working precision.  At hundreds of
digits two things make it fast:

1. **lattices**: the activation is evaluated once per point of a lattice ``x_n = n * unit``
   (``unit`` a power-of-two fraction of the coarsest step) and reused by every level
   (`gauss_smooth`; the two-dimensional rule of `rmt_dsm.moments` does the same);
2. **fixed-point sums** (`to_fixed`, `fixed_dot`): long inner sums
   $\sum_j w_j \sigma(x_j)$ are computed as exact integer dot products of the values
   and weights rounded to integers at scale ``2^P`` (P = working bits + 64; the mantissa
   integers of mpmath, gmpy2's when installed), instead of thousands of floating-point multiply-adds.  The
   rounding error is at most ``n 2^-P`` (relative to the largest value) for n terms.  When a
   whole level of inner sums is needed at once, they are the correlation of the weights with
   the lattice values, computed by one big-integer product (`correlate_fixed`).

(tanh-sinh, ``mpmath.quad``, needs a few times more evaluations per integral at these
precisions, and each is a full multiprecision multiply-add.)
"""
from __future__ import annotations

import operator

import mpmath

try:  # GMP multiplication of very large integers (an installed dependency; plain ints otherwise)
    from gmpy2 import mpz as _mpz
except ImportError:  # pragma: no cover
    _mpz = int

__all__ = ["gauss_smooth", "to_fixed", "from_fixed", "fixed_dot", "fixed_bits", "correlate_fixed"]

#: finest lattice: unit = (coarsest step) / 2^_K
_K = 40
#: at most this many halvings of a step
_LEVELS = 14


def fixed_bits() -> int:
    """P for `to_fixed` at the current working precision (64 guard bits)."""
    return mpmath.mp.prec + 64


def to_fixed(v, P: int) -> int:
    """v * 2^P rounded toward zero, as an integer (exact: the mpf's mantissa, shifted).

    >>> int(to_fixed(mpmath.mpf(-0.75), 4))
    -12
    """
    sign, man, exp, _ = mpmath.mpf(v)._mpf_
    sh = exp + P
    n = man << sh if sh >= 0 else man >> -sh
    return -n if sign else n


def fixed_dot(w, values, P: int):
    """sum_j w_j values_j as an mpf, for fixed-point ints at scale 2^P each (exact integer sum).

    >>> with mpmath.workdps(30):
    ...     P = fixed_bits()
    ...     w = [to_fixed(mpmath.mpf(1) / 3, P)] * 3
    ...     mpmath.nstr(fixed_dot(w, [to_fixed(mpmath.mpf(2), P)] * 3, P), 20)
    '2.0'
    """
    return from_fixed(sum(map(operator.mul, w, values)), P)


def from_fixed(v, P: int):
    """The mpf of a product of two fixed-point numbers at scale 2^P (i.e. v 2^-2P)."""
    return mpmath.ldexp(mpmath.mpf(v), -2 * P)


def correlate_fixed(w, seq) -> list:
    """c[r] = sum_j w[j] seq[r + j] for r = 0 .. len(seq) - len(w), exactly, for integers w >= 0.

    One big-integer product (Kronecker substitution): with ``off >= |seq|``, the numbers
    A = sum_k (seq[k] + off) 2^(kB) and W = sum_j w[n-1-j] 2^(jB) multiply to a number whose
    B-bit slot r + n - 1 is c[r] + off sum(w), B large enough for no carry between slots.
    gmpy2's multiplication (GMP, FFT-based) makes this far cheaper than the n len(seq) products.

    >>> correlate_fixed([1, 2], [3, -1, 4])
    [1, 7]
    """
    n = len(w)
    off = max(abs(int(v)) for v in seq) + 1
    sw = sum(int(x) for x in w)
    nbytes = (sw.bit_length() + (2 * off).bit_length() + 9) // 8
    A = int.from_bytes(b"".join((int(v) + off).to_bytes(nbytes, "little") for v in seq), "little")
    W = int.from_bytes(b"".join(int(x).to_bytes(nbytes, "little") for x in reversed(w)), "little")
    prod = int(_mpz(A) * _mpz(W))
    raw = prod.to_bytes((len(seq) + n) * nbytes, "little")
    return [int.from_bytes(raw[(r + n - 1) * nbytes:(r + n) * nbytes], "little") - off * sw
            for r in range(len(seq) - n + 1)]


def _half_width(wdps, Gamma):
    """Integration half-width in z (standard normal): e^(-L^2/2) < 10^-wdps, with margin."""
    return mpmath.sqrt(2 * wdps * mpmath.log(10)) + 2 * Gamma + 1


_VALUES: dict = {}


def _lattice_values(f, Gamma) -> dict:
    """Memo {n: (f(Gamma z_n), f(Gamma z_n) e^(-z_n^2/2))} for one (f, Gamma, precision), so that
    mean, slope and second moment at the same Gamma evaluate f once per node (a few are kept)."""
    key = (f, Gamma, mpmath.mp.prec)
    if key not in _VALUES:
        if len(_VALUES) >= 8:
            _VALUES.pop(next(iter(_VALUES)))
        _VALUES[key] = {}
    return _VALUES[key]


def gauss_smooth(f, Gamma, what, parity, scale=None):
    """E[f(Gamma z) k(z)], z ~ N(0, 1), at the working precision, for a smooth f.

    ``what``: "mean" (k = 1), "second" (f^2), "stein" (k = z / Gamma: E sigma'(Gamma z) by
    Stein's lemma).  ``parity`` of f (1 even, -1 odd, 0 neither) halves the nodes.
    ``scale``: size of the result for the stopping test (default 1).

    >>> with mpmath.workdps(40):
    ...     v = gauss_smooth(mpmath.tanh, mpmath.mpf(1), "second", -1)
    >>> mpmath.nstr(v, 12)
    '0.394294490398'
    """
    wdps = mpmath.mp.dps
    tol = mpmath.mpf(10) ** (-int(0.6 * wdps)) * (scale if scale else 1)
    L = _half_width(wdps, Gamma)
    h0 = mpmath.mpf(1) / 2 / max(1, Gamma)
    unit = h0 / 2**_K
    memo = {}
    values = _lattice_values(f, Gamma)  # f(Gamma z) e^(-z^2/2), shared by the moments of one Gamma
    sq = 1 / mpmath.sqrt(2 * mpmath.pi)

    def term(n):  # integrand times the Gaussian weight at z = n * unit
        v = memo.get(n)
        if v is None:
            z = n * unit
            if n not in values:
                fz = f(Gamma * z)
                values[n] = (fz, fz * mpmath.exp(-z * z / 2))
            fz, fw = values[n]
            v = memo[n] = fz * fw if what == "second" else (fw * z / Gamma if what == "stein" else fw)
        return v

    # the integrand f(.)k(.) is even when f is even (mean, second), odd (second) or (stein, odd f)
    even = (what == "second" and parity != 0) or (what == "mean" and parity == 1) or \
        (what == "stein" and parity == -1)

    def level(k):
        h = h0 / 2**k
        n = int(mpmath.ceil(L / h))
        step = 2 ** (_K - k)
        idx = range(0 if even else -n, n + 1)
        return h * sq * mpmath.fsum(term(i * step) * (2 if even and i else 1) for i in idx)

    prev = level(0)
    for k in range(1, _LEVELS):
        cur = level(k)
        if abs(cur - prev) <= tol:
            return cur
        prev = cur
    raise ArithmeticError(f"Gaussian moment did not converge (Gamma={mpmath.nstr(Gamma, 8)})")
