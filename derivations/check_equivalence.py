"""Sympy checks of derivations/gaussian_equivalence.md.  Exits non-zero on any failure.

Run: .venv/bin/python derivations/check_equivalence.py
"""
import sys

import sympy as sp

FAIL = []


def check(name, cond):
    ok = bool(cond)
    print(("ok   " if ok else "FAIL ") + name)
    if not ok:
        FAIL.append(name)


z, g, uu, t, x = sp.symbols("z g u t x", real=True)
G, b, c, r = sp.symbols("Gamma b c rho", positive=True)
phi = lambda v: sp.exp(-v**2 / 2) / sp.sqrt(2 * sp.pi)


def _moment(n):
    """E var^n for var ~ N(0, 1): 0 for odd n, (n - 1)!! for even n (checked against sympy below)."""
    return sp.Integer(0) if n % 2 else sp.factorial2(n - 1)


def E(expr, var):
    """E over var ~ N(0, 1) of a polynomial in var, exact, term by term with the Gaussian moments
    (the same result as sympy's integrate, which is far slower on these polynomials)."""
    expr = sp.expand(expr)
    if not expr.is_polynomial(var):
        raise ValueError(f"E expects a polynomial in {var}, got {expr}")
    return sp.expand(sum(cf * _moment(n) for (n,), cf in sp.Poly(expr, var).terms()))


# 0. The Gaussian moments used by E for polynomial integrands, by direct integration
check("E z^n = (n-1)!! (n even), 0 (n odd), by sympy integration (n <= 12)",
      all(sp.simplify(sp.integrate(z**n * phi(z), (z, -sp.oo, sp.oo)) - _moment(n)) == 0 for n in range(13)))


def He(k, v):
    return sp.hermite_prob(k, v)


# 1. Hermite orthogonality E[He_j He_k] = k! delta_jk (basis of the expansion)
check("E[He_j He_k] = k! delta_jk (j,k <= 5)",
      all(sp.simplify(E(He(j, z) * He(k, z), z) - (sp.factorial(k) if j == k else 0)) == 0
          for j in range(6) for k in range(6)))

# 2. Mehler: for (z, z') standard with correlation rho, E[He_j(z) He_k(z')] = k! rho^k delta_jk.
#    Write z' = rho z + sqrt(1 - rho^2) w and integrate exactly.
w = sp.Symbol("w", real=True)
zp = r * z + sp.sqrt(1 - r**2) * w
mehler = all(
    sp.simplify(E(E(sp.expand(He(j, z) * He(k, zp)), w), z) - (sp.factorial(k) * r**k if j == k else 0)) == 0
    for j in range(4) for k in range(4)
)
check("Mehler: E[He_j(z) He_k(z')] = k! rho^k delta_jk (j,k <= 3)", mehler)

# 3. Hermite coefficients of a polynomial test activation: sigma(Gamma z) = sum c_k He_k(z)/k!,
#    c_0 = mu0, c_1 = Gamma mu1 (Stein), sum c_k^2/k! = ||sigma||^2.
sig = lambda v: v**3 - 2 * v**2 + v / 3 + 1
ck = [E(sig(G * z) * He(k, z), z) for k in range(5)]
check("sigma(Gamma z) = sum_k c_k He_k(z)/k! (cubic)",
      sp.simplify(sum(ck[k] * He(k, z) / sp.factorial(k) for k in range(5)) - sig(G * z)) == 0)
mu0 = E(sig(G * z), z)
mu1 = E(sp.diff(sig(x), x).subs(x, G * z), z)
n2 = E(sig(G * z) ** 2, z)
check("c_0 = mu0, c_1 = Gamma mu1", sp.simplify(ck[0] - mu0) == 0 and sp.simplify(ck[1] - G * mu1) == 0)
check("Parseval: ||sigma||^2 = sum c_k^2 / k!", sp.simplify(n2 - sum(ck[k] ** 2 / sp.factorial(k) for k in range(5))) == 0)

# 4. The decomposition with h = a u + sqrt(Delta) g, Gamma^2 = a^2 q + Delta, rho = a^2 q/Gamma^2.
#    Polynomial sigma: every integral exact.  u ~ N(0, q) written as sqrt(q) z.
a, D, q = sp.symbols("a Delta q", positive=True)
Gam2 = a**2 * q + D
h = a * sp.sqrt(q) * uu + sp.sqrt(D) * g
sbar = E(sp.expand(sig(h)), g)
Esb2 = E(sp.expand(sbar**2), uu)
mu0h = E(sp.expand(sig(sp.sqrt(Gam2) * z)), z)
mu1h = E(sp.expand(sp.diff(sig(x), x).subs(x, sp.sqrt(Gam2) * z)), z)
n2h = E(sp.expand(sig(sp.sqrt(Gam2) * z) ** 2), z)
v2 = sp.expand(Esb2 - mu0h**2 - mu1h**2 * a**2 * q)
s2 = sp.expand(n2h - Esb2 - mu1h**2 * D)
check("mu1^2 Gamma^2 + v2 + s2 = ||sigma||^2 - mu0^2", sp.simplify(mu1h**2 * Gam2 + v2 + s2 - (n2h - mu0h**2)) == 0)
ckh = [sp.expand(E(sp.expand(sig(sp.sqrt(Gam2) * z) * He(k, z)), z)) for k in range(4)]
rho = a**2 * q / Gam2
check("v2 = sum_{k>=2} c_k^2 rho^k / k!", sp.simplify(v2 - sum(ckh[k] ** 2 * rho**k / sp.factorial(k) for k in range(2, 4))) == 0)
check("s2 = sum_{k>=2} c_k^2 (1 - rho^k) / k!",
      sp.simplify(s2 - sum(ckh[k] ** 2 * (1 - rho**k) / sp.factorial(k) for k in range(2, 4))) == 0)
# the four parts are uncorrelated and have the stated variances
lin = mu1h * h
shared = sbar - mu0h - mu1h * a * sp.sqrt(q) * uu
private = sp.expand(sig(h) - sbar - mu1h * sp.sqrt(D) * g)
Euv = lambda e: E(E(sp.expand(e), g), uu)
check("Var(shared part) = v2", sp.simplify(Euv(shared**2) - v2) == 0)
check("Var(private part) = s2", sp.simplify(Euv(private**2) - s2) == 0)
check("shared, private, linear parts pairwise uncorrelated and centered",
      all(sp.simplify(Euv(e)) == 0 for e in (shared * private, shared * lin, private * lin, shared, private)))
# two draws g, g' of the same x: private parts uncorrelated, shared part identical
gp = sp.Symbol("gp", real=True)
private2 = private.subs(g, gp)
check("private parts of two draws of the same x are uncorrelated",
      sp.simplify(E(E(E(sp.expand(private * private2), g), gp), uu)) == 0)

# 5. erf smoothing identity E_g erf(c + b g) = erf(c/sqrt(1 + 2 b^2)): both sides vanish at c = 0 and
#    have the same c-derivative (the derivative of the left side is a Gaussian integral).
lhs_d = sp.simplify(sp.integrate(2 / sp.sqrt(sp.pi) * sp.exp(-(c + b * g) ** 2) * phi(g), (g, -sp.oo, sp.oo)))
rhs_d = sp.diff(sp.erf(c / sp.sqrt(1 + 2 * b**2)), c)
check("d/dc E_g erf(c + b g) = d/dc erf(c / sqrt(1 + 2 b^2))", sp.simplify(lhs_d - rhs_d) == 0)

# 6. erf closed forms
mu1_erf = sp.simplify(sp.integrate(2 / sp.sqrt(sp.pi) * sp.exp(-(G * z) ** 2) * phi(z), (z, -sp.oo, sp.oo)))
check("erf: mu1 = 2/sqrt(pi (1 + 2 Gamma^2))", sp.simplify(mu1_erf - 2 / sp.sqrt(sp.pi * (1 + 2 * G**2))) == 0)
# cross moment by Price's theorem: d/dcov E[erf(h)erf(h')] = E[erf'(h) erf'(h')] = (4/pi)/sqrt((1+2v)^2 - 4 c^2)
v, cv = sp.symbols("v c_v", positive=True)
Sig = sp.Matrix([[v, cv], [cv, v]])
gauss2 = 1 / sp.sqrt((sp.eye(2) + 2 * Sig).det())  # E exp(-h^2 - h'^2)
closed = 2 / sp.pi * sp.asin(2 * cv / (1 + 2 * v))
check("erf: d/dcov (2/pi) asin(2 cov/(1+2 var)) = (4/pi) E exp(-h^2-h'^2)",
      sp.simplify(sp.diff(closed, cv) - 4 / sp.pi * gauss2) == 0)
check("E exp(-h^2-h'^2) = det(I + 2 Sigma)^(-1/2) (direct integration, v=1, cov=1/2)",
      sp.simplify(sp.integrate(sp.integrate(
          sp.exp(-z**2 - (z / 2 + sp.sqrt(3) * w / 2) ** 2) * phi(z) * phi(w), (w, -sp.oo, sp.oo)), (z, -sp.oo, sp.oo))
          - gauss2.subs({v: 1, cv: sp.Rational(1, 2)})) == 0)
check("erf: cross(var, 0) = 0 = mu0^2 and cross(var, var) = ||sigma||^2 formula",
      closed.subs(cv, 0) == 0 and sp.simplify(closed.subs(cv, v) - 2 / sp.pi * sp.asin(2 * v / (1 + 2 * v))) == 0)
# erf Hermite coefficients: c_{2m+1} = Gamma^{2m+1} (2/sqrt(pi)) (-1)^m (2m)!/m! (1+2Gamma^2)^{-m-1/2}
okc = True
for m in range(3):
    k = 2 * m + 1
    # E[erf(G z) He_k(z)] = G^k E[erf^(k)(G z)]  (Stein, k times)
    val = sp.simplify(sp.integrate(sp.diff(sp.erf(x), x, k).subs(x, G * z) * G**k * phi(z), (z, -sp.oo, sp.oo)))
    formula = G**k * 2 / sp.sqrt(sp.pi) * (-1) ** m * sp.factorial(2 * m) / sp.factorial(m) * (1 + 2 * G**2) ** (-m - sp.Rational(1, 2))
    okc &= sp.simplify(val - formula) == 0
check("erf Hermite coefficients c_1, c_3, c_5", okc)
yy = sp.Symbol("y", positive=True)
# Mehler sum of the erf coefficients = arcsin series, term by term (y = 2 Gamma^2 rho/(1+2 Gamma^2))
ok_ser = True
for m in range(6):
    k = 2 * m + 1
    ck2 = (G**k * 2 / sp.sqrt(sp.pi) * sp.factorial(2 * m) / sp.factorial(m)) ** 2 * (1 + 2 * G**2) ** (-2 * m - 1)
    term = ck2 * r**k / sp.factorial(k)
    y = 2 * G**2 * r / (1 + 2 * G**2)
    asin_coeff = sp.series(2 / sp.pi * sp.asin(yy), yy, 0, 2 * m + 3).removeO().coeff(yy, k)
    ok_ser &= sp.simplify(term - asin_coeff * y**k) == 0
check("erf: sum_k c_k^2 rho^k/k! = (2/pi) asin(2 Gamma^2 rho/(1 + 2 Gamma^2)) (first 6 terms)", ok_ser)

# 7. relu closed forms
relu_mu0 = sp.integrate(G * z * phi(z), (z, 0, sp.oo))
relu_n2 = sp.integrate(G**2 * z**2 * phi(z), (z, 0, sp.oo))
relu_mu1 = sp.integrate(phi(z), (z, 0, sp.oo))
check("relu: mu0 = Gamma/sqrt(2 pi), mu1 = 1/2, ||sigma||^2 = Gamma^2/2",
      sp.simplify(relu_mu0 - G / sp.sqrt(2 * sp.pi)) == 0 and relu_mu1 == sp.Rational(1, 2)
      and sp.simplify(relu_n2 - G**2 / 2) == 0)
# relu smoothing E_g relu(c + b g) = c Phi(c/b) + b phi(c/b)
Phi = lambda s_: (1 + sp.erf(s_ / sp.sqrt(2))) / 2
sm = sp.integrate((c + b * g) * phi(g), (g, -c / b, sp.oo))
check("relu: E_g relu(c + b g) = c Phi(c/b) + b phi(c/b)", sp.simplify((sm - (c * Phi(c / b) + b * phi(c / b))).rewrite(sp.erf)) == 0)
# arc-cosine kernel: polar coordinates, h = G z1, h' = G (cos(th) z1 + sin(th) z2)
th, R, al = sp.symbols("theta R alpha", positive=True)
# E[relu(h) relu(h')] = G^2/(2 pi) int_0^inf R^3 e^{-R^2/2} dR int_{region} cos(al) cos(al - th) d al,
# region: both cosines positive -> al in (th - pi/2, pi/2) for th in (0, pi)
radial = sp.integrate(R**3 * sp.exp(-R**2 / 2), (R, 0, sp.oo))
ang = sp.integrate(sp.cos(al) * sp.cos(al - th), (al, th - sp.pi / 2, sp.pi / 2))
kern = sp.simplify(G**2 / (2 * sp.pi) * radial * ang)
target = G**2 / (2 * sp.pi) * (sp.sin(th) + (sp.pi - th) * sp.cos(th))
check("relu: cross = var/(2 pi) (sin th + (pi - th) cos th)", sp.simplify(kern - target) == 0)

# 8. rank-one constant part does not change normalized traces: for M = A + mu0^2 1 1^T,
#    the normalized trace of the resolvent differs by O(1/p) (Sherman-Morrison, p x p, numeric spot check)
import numpy as np

rng = np.random.default_rng(0)
ok_rank1 = True
for p in (200, 800):
    X = rng.standard_normal((p, 2 * p)) / np.sqrt(2 * p)
    A = X @ X.T
    one = np.ones((p, 1))
    z0 = -0.7
    t1 = np.trace(np.linalg.inv(A - z0 * np.eye(p))) / p
    t2 = np.trace(np.linalg.inv(A + 0.5 * one @ one.T - z0 * np.eye(p))) / p
    ok_rank1 &= abs(t1 - t2) <= 1.0 / (p * abs(z0))  # |tr of a rank-one perturbation of the resolvent| <= 1/|z|
check("rank-one term changes the normalized resolvent trace by <= 1/(p |z|)", ok_rank1)

if FAIL:
    print(f"{len(FAIL)} check(s) failed")
    sys.exit(1)
print("all checks passed")
