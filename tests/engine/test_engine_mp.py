"""Marchenko-Pastur from the pencil vs the closed form (test-owned formula), API basics,
sweeps/continuation, spectral density and edges.

Closed form (Marchenko & Pastur 1967; Bai & Silverstein, "Spectral analysis of large
dimensional random matrices", 2010, ch. 3): for X d x n with iid N(0,1) entries and
c = d/n, m(z) = tr(XX^T/n - z)^{-1}/d solves c z m^2 + (z + c - 1) m + 1 = 0, and the
Stieltjes branch is m = (1 - c - z + sqrt(z - l_-) sqrt(z - l_+)) / (2 c z), l_pm = (1 pm sqrt c)^2,
with principal square roots (analytic off [l_-, l_+], m ~ -1/z at infinity).
Density: sqrt((l_+ - x)(x - l_-)) / (2 pi c x) on [l_-, l_+] (+ atom 1 - 1/c at 0 if c > 1).
"""
import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from rmt_dsm.engine import ConvergenceError, Pencil
from rmt_dsm.engine.pencils import marchenko_pastur
from rmt_dsm.engine.spectral import spectral_density, support_edges


def mp_closed(c, z):
    lm, lp = (1 - mp.sqrt(c)) ** 2, (1 + mp.sqrt(c)) ** 2
    return (1 - c - z + mp.sqrt(z - lm) * mp.sqrt(z - lp)) / (2 * c * z)


@pytest.fixture(scope="module")
def mpsys():
    p, s = marchenko_pastur()
    return p.dyson_system(), s


@pytest.mark.parametrize("alpha", ["2", "0.5", "1", "7.25"])
@pytest.mark.parametrize("z", ["-1", "-0.01", "1+0.5j", "0.3+1e-3j", "-3+2j"])
def test_mp_50_digits(mpsys, alpha, z):
    sysm, s = mpsys
    sol = sysm.solve({s["alpha"]: alpha, s["z"]: z}, dps=50)
    with mp.workdps(70):
        c = 1 / mp.mpf(alpha)
        want = mp_closed(c, mp.mpmathify(z))
        got = sol["a", "a"]
        assert abs(got - want) <= mp.mpf(10) ** -48 * abs(want)
        assert sol.residual < mp.mpf(10) ** -50
    if mp.mpmathify(z).imag == 0:
        assert isinstance(got, mp.mpf) or mp.im(got) == 0


def test_mp_double(mpsys):
    sysm, s = mpsys
    for alpha in (0.3, 1.0, 4.0):
        for z in (-2.0, -1e-3, 0.5 + 0.05j, 10 + 1j):
            sol = sysm.solve({s["alpha"]: alpha, s["z"]: z})
            want = complex(mp_closed(mp.mpf(1) / alpha, mp.mpmathify(z)))
            assert abs(sol["a", "a"] - want) < 1e-12 * abs(want)
            assert sol.residual < 1e-13


def test_api_basics(mpsys):
    sysm, s = mpsys
    assert [u.name for u in sysm.unknowns] == ["g_a_a", "g_b_b"]
    assert sysm.unknown("b", "b") is sysm.unknowns[1]
    assert sysm.parameters == [s["alpha"], s["z"]]
    tex = sysm.latex()
    assert tex.startswith("\\begin{align}") and "\\alpha" in tex and "g_{aa}" in tex
    assert "\\Lambda" in sysm.latex({"z": "\\Lambda"})
    sol = sysm.solve({"alpha": 2, "z": -1})
    assert sol[sysm.unknowns[0]] == sol["a", "a"] == sol["g_a_a"]
    assert sol.path[-1] == ("homotopy", 1.0)
    with pytest.raises(ValueError, match="missing parameter value.*z"):
        sysm.solve({"alpha": 2})


def test_structure_errors():
    a = sp.Symbol("alpha")
    p = Pencil("bad")
    p.block("a", 1)
    p.block("b", a)
    with pytest.raises(ValueError, match="different sizes"):
        p.deterministic("a", "b", 1)
    p.gaussian("X", "a", "b")
    with pytest.raises(ValueError, match="shape"):
        p.gaussian("X", "b", "a")
    with pytest.raises(ValueError, match="diagonal"):
        p.gaussian("Y", "a", "a")


def test_shared_gaussian_two_positions():
    """Same X at (a,b) and (a,b2): L^{-1}_aa = (-z + (c1^2+c2^2) X X^T / d)^{-1}; with
    c1^2 + c2^2 = 1/alpha this is MP again, and an off-diagonal unknown g_b_b2 appears."""
    alpha, z = sp.symbols("alpha z")
    p = Pencil("shared")
    p.block("a", 1)
    p.block("b", alpha)
    p.block("b2", alpha)
    p.deterministic("a", "a", -z)
    p.deterministic("b", "b", -1)
    p.deterministic("b2", "b2", -1)
    p.gaussian("X", "a", "b", coef=sp.sqrt(sp.Rational(1, 3)) / sp.sqrt(alpha))
    p.gaussian("X", "a", "b2", coef=sp.sqrt(sp.Rational(2, 3)) / sp.sqrt(alpha))
    sysm = p.dyson_system()
    assert sysm.unknown("b2", "b") in sysm.unknowns
    sol = sysm.solve({alpha: 3, z: "0.7+0.2j"}, dps=30)
    with mp.workdps(40):
        want = mp_closed(mp.mpf(1) / 3, mp.mpc("0.7", "0.2"))
        assert abs(sol["a", "a"] - want) < mp.mpf(10) ** -28


def test_sweep_matches_cold(mpsys):
    sysm, s = mpsys
    zs = np.linspace(-3, -0.01, 40)
    sw = sysm.sweep({"alpha": 1.5}, "z", zs)
    for zv, sol in zip(zs, sw):
        cold = sysm.solve({"alpha": 1.5, "z": zv})
        assert abs(sol["a", "a"] - cold["a", "a"]) < 1e-13
        want = complex(mp_closed(mp.mpf(1) / 1.5, mp.mpf(zv))).real
        assert abs(sol["a", "a"] - want) < 1e-12 * abs(want)
    assert all(k == "parameters" for sol in sw[1:] for k, _ in sol.path)
    # complex path across the bulk at fixed Im z, and in alpha at 30 digits
    zc = [x + 0.05j for x in np.linspace(0.01, 4, 30)]
    for zv, sol in zip(zc, sysm.sweep({"alpha": 1.5}, "z", zc)):
        assert abs(sol["a", "a"] - complex(mp_closed(mp.mpf(1) / 1.5, mp.mpc(zv)))) < 1e-11
    sw = sysm.sweep({"z": "-0.5"}, "alpha", ["0.5", "1", "2", "4"], dps=30)
    for a, sol in zip(["0.5", "1", "2", "4"], sw):
        with mp.workdps(40):
            assert abs(sol["a", "a"] - mp_closed(1 / mp.mpf(a), mp.mpf("-0.5"))) < mp.mpf(10) ** -29


def test_warm_start_long_jump(mpsys):
    sysm, s = mpsys
    a = sysm.solve({"alpha": 0.5, "z": -0.1})
    b = sysm.solve({"alpha": 5, "z": "2+0.3j"}, start=a)
    assert abs(b["a", "a"] - complex(mp_closed(mp.mpf("0.2"), mp.mpc(2, 0.3)))) < 1e-12


def test_nonconvergence_names_parameters(mpsys):
    sysm, s = mpsys
    with pytest.raises(ConvergenceError) as e:
        sysm.solve({"alpha": 2, "z": 1.0})  # real z inside the bulk: no real solution
    msg = str(e.value)
    assert "alpha=2" in msg and "z=1.0" in msg and "Hint" in msg
    with pytest.raises(ConvergenceError, match="alpha=2.*z=1.0"):
        sysm.solve({"alpha": 2, "z": "1.0"}, dps=30)


def test_branch_violation_raises():
    m, z, c = sp.symbols("m z c")
    from rmt_dsm.engine import FixedPointSystem, StieltjesCondition
    sysm = FixedPointSystem([m], None, [c * z * m**2 + (z + c - 1) * m + 1],
                            conditions=[StieltjesCondition(m, z, 1, lower=0)], name="mp-direct")
    ok = sysm.solve({c: 0.5, z: -1}, start=[0.5])
    assert abs(ok[m] - (-3 + 17 ** 0.5) / 2) < 1e-14
    with pytest.raises(ConvergenceError, match=r"branch check failed.*c=0.5, z=-1"):
        sysm.solve({c: 0.5, z: -1}, start=[-3.5])  # converges to the other root (-3.56)
    with pytest.raises(ConvergenceError, match="wrong sign"):
        sysm.solve({c: 0.5, z: 1 + 1j}, start=[-1 - 1j])
    with pytest.raises(ConvergenceError, match="check .*failed"):
        sysm.solve({c: 0.5, z: -1}, start=[0.5], checks=[lambda sol: False if sol else True])


def test_density_and_edges(mpsys):
    sysm, s = mpsys
    for alpha in (2.0, 0.5):
        c = 1 / alpha
        lm, lp = (1 - c ** 0.5) ** 2, (1 + c ** 0.5) ** 2
        xs = np.linspace(0.02, lp + 0.5, 40)
        rho = spectral_density(sysm, ("a", "a"), "z", {"alpha": alpha}, xs)
        inside = (xs > lm) & (xs < lp)
        exact = np.where(inside, np.sqrt(np.clip((lp - xs) * (xs - lm), 0, None)) / (2 * np.pi * c * xs), 0)
        assert np.max(np.abs(rho - exact)) < 1e-7
        edges = support_edges(sysm, ("a", "a"), "z", {"alpha": alpha}, (0.01, lp + 1), n_grid=120)
        assert len(edges) == 2
        assert abs(edges[0] - lm) < 1e-10 and abs(edges[1] - lp) < 1e-10


def test_edges_high_precision(mpsys):
    sysm, s = mpsys
    edges = support_edges(sysm, ("a", "a"), "z", {"alpha": 2}, (0.01, 4), n_grid=60, dps=30)
    with mp.workdps(40):
        c = mp.mpf(1) / 2
        assert abs(edges[0] - (1 - mp.sqrt(c)) ** 2) < mp.mpf(10) ** -27
        assert abs(edges[1] - (1 + mp.sqrt(c)) ** 2) < mp.mpf(10) ** -27
