"""The sympy symbols of the DSM theory, named as in docs/model.md.

Derivation: derivations/dsm_learning_curves.md (section numbers cited as [D§k]).
"""
import sympy as sp

psi_n, psi_p = sp.symbols("psi_n psi_p", positive=True)
#: kappa = 1/m; m = infinity is kappa = 0 [D§2]
kappa = sp.Symbol("kappa", nonnegative=True)
a = sp.Symbol("a", real=True)
delta = sp.Symbol("delta", positive=True)
lam = sp.Symbol("lam", nonnegative=True)
#: Gaussian-equivalent coefficients (derivations/gaussian_equivalence.md)
mu1 = sp.Symbol("mu1", real=True)
v2, s2 = sp.symbols("v2 s2", nonnegative=True)
#: the pencil's two diagonal scalars; lambda = -x y [D§5]
x, y = sp.symbols("x y", real=True)
#: probe adding eps W W^T/d to the ridge matrix [D§6]
eps = sp.Symbol("epsilon", real=True)

#: LaTeX names for the engine's printer
SYMBOL_NAMES = {
    "psi_n": r"\psi_n", "psi_p": r"\psi_p", "kappa": r"\kappa", "delta": r"\Delta",
    "lam": r"\lambda", "mu1": r"\mu_1", "v2": r"v^2", "s2": r"s^2", "epsilon": r"\varepsilon",
}
