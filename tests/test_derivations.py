"""The symbolic checks of derivations/ in the default suite.

``python derivations/run_checks.py`` (CI) runs every check script. The checks that read the
code -- the population table, the reduction of the Dyson system to three unknowns, the
observables Q, X1 and the error formulas at finite m (exact arithmetic), the m = infinity route,
the vectorized atom sums of a many-atom spectrum -- run here too, so that a change to a formula
fails ``pytest`` at once. The checks of pure mathematics that import nothing from rmt_dsm (the
finite-d identities D§6 with symbolic lambda, eps; derivations/check_equivalence.py) cannot be
broken by a code change: they are marked slow. The pencil claims run in
tests/engine/test_engine_precision.py.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

DERIVATIONS = Path(__file__).resolve().parents[1] / "derivations"
if str(DERIVATIONS) not in sys.path:  # the check scripts import derivations/checklib.py
    sys.path.insert(0, str(DERIVATIONS))


def _load(name):
    spec = importlib.util.spec_from_file_location(f"derivations_{name}", DERIVATIONS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def check_dsm():
    return _load("check_dsm")


@pytest.fixture(scope="module")
def check_observables():
    return _load("check_observables")


def _run(mod, fn):
    mod.FAILED.clear()
    fn()
    assert not mod.FAILED, mod.FAILED


@pytest.mark.parametrize("name", ["check_error_formulas", "check_Q_X1", "check_code_Q_X1"])
def test_observable_checks(check_observables, name):
    _run(check_observables, getattr(check_observables, name))


@pytest.mark.parametrize("name", ["check_populations", "check_m_inf_route", "check_rotation"])
def test_dsm_derivation_checks(check_dsm, name):
    _run(check_dsm, getattr(check_dsm, name))


@pytest.fixture(scope="module")
def check_structured():
    return _load("check_structured")


@pytest.mark.parametrize("n_atoms", [1, 2])
def test_reduction_matches_generic_dyson(check_structured, n_atoms):
    """The reduced three-unknown system == the engine's generic Dyson system (1 and 2 atoms)."""
    check_structured.FAILED.clear()
    check_structured.check_reduction(n_atoms, trials=1)
    assert not check_structured.FAILED, check_structured.FAILED


def test_bound_atom_sums_match_written_out_sums(check_structured):
    """[S§4] the vectorized AtomSum (any number of atoms) == the sum written out, values and the
    derivatives in every unknown (they enter only the Newton Jacobian: a wrong one slows the solver
    down by orders of magnitude instead of failing the solver tests)."""
    _run(check_structured, check_structured.check_bound_reduction)


def test_observable_checks_can_fail(check_observables, monkeypatch):
    """The exact identities have power: a Q that is right at m = 1 and m = infinity but wrong at
    finite m (the mean of the squares kappa g_u0^2 + (1 - kappa) g_u1^2 for gbar^2) fails."""
    from rmt_dsm.dsm import observables as O
    from rmt_dsm.dsm.symbols import delta, kappa, mu1
    from rmt_dsm.dsm.system import g_u0, g_u1

    good = O.Q_expr

    def wrong(atoms=None, Rbar=None):
        R = Rbar if Rbar is not None else O.rho_sum(atoms)
        return good(atoms, Rbar) + mu1**2 * delta * R * (kappa * g_u0**2 + (1 - kappa) * g_u1**2 - O.gbar()**2)

    monkeypatch.setattr(O, "Q_expr", wrong)
    check_observables.FAILED.clear()
    check_observables.check_code_Q_X1()
    assert len(check_observables.FAILED) == 1 and "code Q" in check_observables.FAILED[0]
    check_observables.FAILED.clear()


@pytest.mark.slow
def test_pure_mathematics_checks(check_dsm):
    """D§6 identities (symbolic lambda, eps) and the Gaussian-equivalence algebra (CI runs them too)."""
    _run(check_dsm, check_dsm.check_error_identities)
    out = subprocess.run([sys.executable, str(DERIVATIONS / "check_equivalence.py")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_run_checks_lists_every_script():
    out = subprocess.run([sys.executable, str(DERIVATIONS / "run_checks.py"), "--list"], capture_output=True,
                         text=True, check=True)
    names = set(out.stdout.split())
    assert {"check_dsm.py", "check_observables.py", "check_pencils.py", "check_equivalence.py"} <= names
