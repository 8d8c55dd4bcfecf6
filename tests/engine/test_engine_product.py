"""Product of two Wishart factors, A = W X X^T W^T / (d n) (W p x d, X d x n), from the 4-block
pencil vs an independent cubic, and vs a d = 2000 sample.

Independent derivation (Voiculescu's S-transform; Mingo & Speicher, "Free Probability and
Random Matrices", 2017, ch. 3; for products of rectangular Gaussian matrices see also
Burda, Jarosz, Livan, Nowak, Swiech, Phys. Rev. E 82, 061114 (2010)):
S-transform of the MP law of Y Y^T / N (Y d x N, c = d/N): S(w) = 1/(1 + c w); scaling by a
divides S by a; S of a product of free elements is the product of the S's.
Nonzero spectrum of A = that of B = (W^T W / d)(X X^T / n) on R^d, where W^T W / d = psi_p * MP(1/psi_p),
X X^T / n = MP(1/psi_n), so S_B(w) = 1/((psi_p + w)(1 + w/psi_n)).
With psi_B(u) = sum_k m_k u^k and chi = psi^{-1}, S = chi(w)(1+w)/w; at u = 1/z, w = -1 - z m_B(z):
    z w S_B(w) = 1 + w.
Finally m_A = m_B / psi_p - (1 - 1/psi_p)/z (A has p - d more zero eigenvalues than B).
"""
import mpmath as mp
import numpy as np
import pytest
import scipy.linalg
import sympy as sp

from rmt_dsm.engine.pencils import product_wishart
from rmt_dsm.engine.spectral import spectral_density

PP, PN = 0.5, 1.5  # psi_p, psi_n


def cubic_in_mA():
    """Polynomial P(m_A; z, psi_p, psi_n) = 0 derived from the S-transform (test-owned)."""
    mA, z, pp, pn = sp.symbols("m_A z psi_p psi_n")
    mB = pp * (mA + (1 - 1 / pp) / z)
    w = -1 - z * mB
    expr = z * w - (1 + w) * (pp + w) * (1 + w / pn)
    num = sp.numer(sp.together(sp.expand(expr)))
    return sp.Poly(sp.expand(num), mA), (mA, z, pp, pn)


POLY, SYMS = cubic_in_mA()


def physical_root(z, pp, pn, dps=50, steps=150):
    """Track the root of the cubic from z + 50i (where m ~ -1/z) down to z along a vertical
    path with geometrically shrinking imaginary offset, picking the nearest root each step."""
    mA, zs, pps, pns = SYMS
    coeffs = [sp.lambdify((zs, pps, pns), c, "mpmath") for c in POLY.all_coeffs()]
    with mp.workdps(dps + 10):
        z = mp.mpmathify(z)
        offsets = [50 * (mp.mpf(10) ** -12 / 50) ** (mp.mpf(k) / steps) for k in range(steps + 1)] + [0]
        m = -1 / (z + 50j)
        for off in offsets:
            zz = z + 1j * off
            roots = mp.polyroots([c(zz, mp.mpf(pp), mp.mpf(pn)) for c in coeffs], maxsteps=200, extraprec=2 * dps)
            m = min(roots, key=lambda r: abs(r - m))
        return m


def test_cubic_degree():
    assert POLY.degree() == 3


@pytest.fixture(scope="module")
def psys():
    p, s = product_wishart()
    return p.dyson_system(), s


@pytest.mark.parametrize("pp,pn", [(0.5, 1.5), (2.0, 0.75), (1.0, 1.0)])
@pytest.mark.parametrize("z", ["1+0.2j", "-0.5", "0.05+0.5j"])
def test_product_vs_cubic_50_digits(psys, pp, pn, z):
    sysm, s = psys
    sol = sysm.solve({"psi_p": pp, "psi_n": pn, "z": z}, dps=50)
    got = sol["u", "u"]
    mA, zs, pps, pns = SYMS
    with mp.workdps(60):
        P = sp.lambdify((mA, zs, pps, pns), POLY.as_expr(), "mpmath")
        scale = sum(abs(sp.lambdify((zs, pps, pns), c, "mpmath")(mp.mpmathify(z), pp, pn))
                    for c in POLY.all_coeffs()) * max(1, abs(got)) ** 3
        assert abs(P(got, mp.mpmathify(z), pp, pn)) < mp.mpf(10) ** -47 * scale
        want = physical_root(z, pp, pn)
        assert abs(got - want) < mp.mpf(10) ** -45 * abs(want)


def test_product_vs_sample(psys):
    """Stieltjes transform and histogram of one d = 2000 sample (p = 1000, n = 3000)."""
    sysm, s = psys
    d = 2000
    rng = np.random.default_rng(7)
    W = rng.standard_normal((int(PP * d), d))
    X = rng.standard_normal((d, int(PN * d)))
    Y = W @ X
    ev = scipy.linalg.eigh(Y @ Y.T / (d * X.shape[1]), eigvals_only=True, driver="evr")
    for z in (0.5 + 0.3j, 1.5 + 0.3j, 3 + 0.5j, -0.5):
        th = sysm.solve({"psi_p": PP, "psi_n": PN, "z": z})["u", "u"]
        emp = np.mean(1 / (ev - z))
        assert abs(th - emp) < 5e-3 * abs(th)
    # histogram and empirical CDF vs the density on a fine grid (12 points per bin)
    nb, k = 24, 12
    edges = np.linspace(0, np.max(ev) + 0.2, nb + 1)
    h = edges[1] - edges[0]
    xs = edges[0] + h * (np.arange(nb * k) + 0.5) / k
    rho = spectral_density(sysm, ("u", "u"), "z", {"psi_p": PP, "psi_n": PN}, xs)
    hist, _ = np.histogram(ev, bins=edges, density=True)
    assert np.max(np.abs(hist - rho.reshape(nb, k).mean(1))) < 0.06 * np.max(rho)
    cdf = np.cumsum(rho) * h / k
    assert abs(cdf[-1] - 1) < 1e-2  # no atom for psi_p < min(1, psi_n)
    ecdf = np.searchsorted(np.sort(ev), xs) / len(ev)
    assert np.max(np.abs(cdf - ecdf)) < 0.02
