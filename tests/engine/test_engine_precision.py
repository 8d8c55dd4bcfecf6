"""SPEC section 4 precision contract, IFT derivatives, direct systems, exact pencil claims."""
import subprocess
import sys
from pathlib import Path

import mpmath as mp
import pytest
import sympy as sp

from rmt_dsm.engine import FixedPointSystem, Homotopy
from rmt_dsm.engine.claims import PencilClaim, check_all
from rmt_dsm.engine.pencils import marchenko_pastur, product_wishart

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def systems():
    p, s = marchenko_pastur()
    q, t = product_wishart()
    return {"mp": (p.dyson_system(), {"alpha": "0.37", "z": "0.9+0.01j"}),
            "mp_real": (p.dyson_system(), {"alpha": "3", "z": "-0.001"}),
            "product": (q.dyson_system(), {"psi_p": "1.3", "psi_n": "0.7", "z": "0.2+0.05j"}),
            "product_real": (q.dyson_system(), {"psi_p": "0.5", "psi_n": "1.5", "z": "-2"})}


def _agree(v_printed: str, v_ref, digits):
    with mp.workdps(digits + 30):
        a = mp.mpmathify(v_printed)
        return abs(a - v_ref) <= mp.mpf(10) ** (-(digits - 5)) * max(1, abs(v_ref))


@pytest.mark.parametrize("name", ["mp", "mp_real", "product", "product_real"])
@pytest.mark.parametrize("D", [15, 30, 50])
def test_precision_contract(systems, name, D):
    """A value printed at D digits agrees with the D + 10 digit value to >= D - 5 digits."""
    sysm, params = systems[name]
    lo = sysm.solve(params, dps=D)
    hi = sysm.solve(params, dps=D + 10)
    for u in sysm.unknowns:
        for part in (mp.re, mp.im):
            printed = mp.nstr(part(lo[u]), D)
            assert _agree(printed, part(hi[u]), D), (u, printed, part(hi[u]))


def test_mp_derivative_closed_form():
    """dm/dz and dm/dc by implicit differentiation of c z m^2 + (z + c - 1) m + 1 = 0 (c = 1/alpha)."""
    p, s = marchenko_pastur()
    sysm = p.dyson_system()
    for z in ("-0.7", "1.1+0.3j"):
        sol = sysm.solve({"alpha": "2.5", "z": z}, dps=40)
        with mp.workdps(55):
            m, c, zz = sol["a", "a"], 1 / mp.mpf("2.5"), mp.mpmathify(z)
            den = 2 * c * zz * m + zz + c - 1
            dm_dz = -(c * m * m + m) / den
            dm_dc = -(zz * m * m + m) / den
            dm_dalpha = dm_dc * (-c * c)
            assert abs(sol.derivative("z")[sysm.unknowns[0]] - dm_dz) < mp.mpf(10) ** -38 * abs(dm_dz)
            assert abs(sol.derivative(s["alpha"])[sysm.unknowns[0]] - dm_dalpha) < mp.mpf(10) ** -38
        dsol = sysm.solve({"alpha": 2.5, "z": complex(mp.mpmathify(z))})
        assert abs(dsol.derivative("z")[sysm.unknowns[0]] - complex(dm_dz)) < 1e-12


@pytest.mark.parametrize("param", ["psi_p", "psi_n", "z"])
def test_product_derivative_vs_finite_differences(param):
    q, t = product_wishart()
    sysm = q.dyson_system()
    base = {"psi_p": mp.mpf("1.3"), "psi_n": mp.mpf("0.7"), "z": mp.mpc("0.2", "0.05")}
    with mp.workdps(80):
        base = {k: mp.mpmathify(v) for k, v in base.items()}
        h = mp.mpf(10) ** -20
        sp_ = dict(base); sp_[param] = base[param] + h
        sm_ = dict(base); sm_[param] = base[param] - h
    sol = sysm.solve(base, dps=60)
    plus, minus = sysm.solve(sp_, dps=60), sysm.solve(sm_, dps=60)
    der = sol.derivative(param)
    with mp.workdps(80):
        for u in sysm.unknowns:
            fd = (plus[u] - minus[u]) / (2 * h)  # error O(h^2) = 1e-40, plus 1e-60/h = 1e-40
            assert abs(der[u] - fd) < mp.mpf(10) ** -35 * max(1, abs(fd))
    # double precision path: FD with h = 1e-6 (error ~1e-12 relative)
    dbase = {k: complex(v) if k == "z" else float(v) for k, v in base.items()}
    dsol = sysm.solve(dbase)
    hh = 1e-6
    p1 = dict(dbase); p1[param] += hh
    p2 = dict(dbase); p2[param] -= hh
    s1, s2 = sysm.solve(p1, start=dsol), sysm.solve(p2, start=dsol)
    dd = dsol.derivative(param)
    for u in sysm.unknowns:
        assert abs(dd[u] - (s1[u] - s2[u]) / (2 * hh)) < 1e-7 * max(1, abs(dd[u]))


def test_direct_system_with_user_homotopy():
    """A system not from a pencil: x^3 + x = a, homotopy x^3 s + x = a (x = a at s = 0)."""
    x, a, s = sp.symbols("x a s")
    hom = Homotopy(s, (s * x**3 + x - a,), start=lambda p: [p[a]])
    sysm = FixedPointSystem([x], [a], [x**3 + x - a], homotopy=hom, name="cubic")
    sol = sysm.solve({a: 10}, dps=30)
    with mp.workdps(40):
        assert abs(sol[x] - 2) < mp.mpf(10) ** -30
        assert abs(sol.derivative(a)[x] - mp.mpf(1) / 13) < mp.mpf(10) ** -30
    assert sol.path[0][0] == "homotopy"


def test_claims_pass_and_can_fail():
    assert check_all(verbose=False)
    p, s = marchenko_pastur()
    wrong = PencilClaim(name="wrong", pencil=p, read=("a", "a"), d=4,
                        values={s["alpha"]: sp.Rational(9, 4), s["z"]: sp.Rational(-3, 7)},
                        intended=lambda M, v, d: (M["X"] * M["X"].T / d + sp.Rational(3, 7) * sp.eye(d)).inv())
    ok, msg = wrong.check()
    assert not ok and "differs" in msg


def test_check_pencils_script():
    r = subprocess.run([sys.executable, str(ROOT / "derivations" / "check_pencils.py")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS marchenko_pastur" in r.stdout and "PASS product_wishart" in r.stdout
