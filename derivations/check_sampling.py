"""Sympy checks of the equations of derivations/sampling.md (cited as (k.j)); exit status 1 if one fails.

Every claim is recorded by ``check`` and reported at the end.
Run: .venv/bin/python derivations/check_sampling.py
"""
import sys

import sympy as sp

RESULTS: list[tuple[str, bool]] = []


def check(name, cond):
    RESULTS.append((name, bool(cond)))


h, s, u, v, t = sp.symbols("h s u v t", positive=True)
a, D, x, y, e = sp.symbols("a Delta x y e", positive=True)

# (1.2) exact step of dy = (y + 2 s_hat) dtau + sqrt(2) dB: mean and variance
Y0, S_hat = sp.symbols("y0 s_hat", real=True)
mean = sp.exp(h) * Y0 + sp.integrate(sp.exp(h - s) * 2 * S_hat, (s, 0, h))
check("(1.2) mean e^h y + 2 (e^h - 1) s_hat", sp.simplify(mean - (sp.exp(h) * Y0 + 2 * (sp.exp(h) - 1) * S_hat)) == 0)
var = sp.integrate(2 * sp.exp(2 * (h - s)), (s, 0, h))
check("(1.2) variance 2 int_0^h e^{2(h-s)} ds = e^{2h} - 1", sp.simplify(var - (sp.exp(2 * h) - 1)) == 0)
mean_ode = sp.exp(h) * Y0 + sp.integrate(sp.exp(h - s) * S_hat, (s, 0, h))
check("(1.3) ODE step e^h y + (e^h - 1) s_hat", sp.simplify(mean_ode - (sp.exp(h) * Y0 + (sp.exp(h) - 1) * S_hat)) == 0)

# (1.4) Tweedie for one Gaussian coordinate x ~ N(0, 1): E[x | y] = a y / (a^2 + Delta)
score = -y / (a**2 + D)
check("(1.4) (y + Delta s(y)) / a = E[x|y] = a y / (a^2 + Delta)", sp.simplify((y + D * score) / a - a * y / (a**2 + D)) == 0)

# (2.1) variance recursion with the population score -y (a^2 + Delta = 1)
V = sp.symbols("V", positive=True)
step = (sp.exp(h) - 2 * (sp.exp(h) - 1)) ** 2 * V + sp.exp(2 * h) - 1
check("(2.1) v' = (2 - e^h)^2 v + e^{2h} - 1", sp.simplify(step - ((2 - sp.exp(h)) ** 2 * V + sp.exp(2 * h) - 1)) == 0)
check("(2.1) v' - 1 = (2 - e^h)^2 (v - 1) + 2 (e^h - 1)^2",
      sp.simplify(step - 1 - ((2 - sp.exp(h)) ** 2 * (V - 1) + 2 * (sp.exp(h) - 1) ** 2)) == 0)
check("(2.1) the factor (2 - e^h)^2 equals 1 at h = ln 3 (and is < 1 for 0 < h < ln 3)",
      sp.simplify((2 - sp.exp(sp.log(3))) ** 2 - 1) == 0
      and all((2 - sp.exp(q)) ** 2 < 1 for q in (sp.Rational(1, 100), sp.Rational(1, 2), sp.Rational(109, 100))))
check("(2.1) ODE step with score -y is the identity", sp.simplify(sp.exp(h) * Y0 + (sp.exp(h) - 1) * (-Y0) - Y0) == 0)

# (2.2) gradient of log (1/n) sum_i N(y; a x_i, Delta) in one dimension, n = 2
x1, x2 = sp.symbols("x1 x2", real=True)
yy = sp.symbols("yy", real=True)
logp = sp.log(sp.exp(-(yy - a * x1) ** 2 / (2 * D)) + sp.exp(-(yy - a * x2) ** 2 / (2 * D)))
w1 = sp.exp(-(yy - a * x1) ** 2 / (2 * D)) / (sp.exp(-(yy - a * x1) ** 2 / (2 * D)) + sp.exp(-(yy - a * x2) ** 2 / (2 * D)))
semp = (a * (w1 * x1 + (1 - w1) * x2) - yy) / D
check("(2.2) empirical optimal score = (a sum w_i x_i - y) / Delta", sp.simplify(sp.diff(logp, yy) - semp) == 0)
lhs = -(yy - a * x1) ** 2 / (2 * D) - (-(yy - a * x2) ** 2 / (2 * D))
rhs = (a * yy * x1 - a**2 * x1**2 / 2) / D - (a * yy * x2 - a**2 * x2**2 / 2) / D
check("(2.2) logits (a y.x_i - a^2 |x_i|^2/2)/Delta differ from -|y - a x_i|^2/(2 Delta) by a constant in i",
      sp.simplify(lhs - rhs) == 0)

# (3.1) E (x.x')^2 = tr(M^2) for independent x, x' with second moment M (d = 2, Gaussian)
m11, m22, m12 = sp.symbols("m11 m22 m12", real=True)
M = sp.Matrix([[m11, m12], [m12, m22]])
# E[x_a x_b x'_a x'_b] = M_ab M_ab summed over a, b
check("(3.1) E (x.x')^2 = sum_ab M_ab^2 = tr(M^2)",
      sp.simplify(sum(M[i, j] * M[i, j] for i in range(2) for j in range(2)) - (M * M).trace()) == 0)
Sig = sp.diag(*sp.symbols("s1 s2", positive=True))
check("(3.1) tr M^2 - 2 tr(M Sigma) + tr Sigma^2 = ||M - Sigma||_F^2",
      sp.expand((M * M).trace() - 2 * (M * Sig).trace() + (Sig * Sig).trace()
                - sum((M - Sig)[i, j] ** 2 for i in range(2) for j in range(2))) == 0)

# (4.1) Girsanov constant: (1/2) |2 ds|^2 / sigma^2 with sigma^2 = 2 is |ds|^2
ds = sp.symbols("ds", real=True)
check("(4.1) (1/2) |2 ds|^2 / 2 = |ds|^2", sp.simplify(sp.Rational(1, 2) * (2 * ds) ** 2 / 2 - ds**2) == 0)

# (4.4) stationary OU: E (y_{t+u} - y_t)^2 = 2 (1 - e^{-u}) per coordinate (Cov = e^{-u})
check("(4.4) 1 + 1 - 2 e^{-u} = 2 (1 - e^{-u})", sp.simplify(2 - 2 * sp.exp(-u) - 2 * (1 - sp.exp(-u))) == 0)

# (4.5) J and D closed forms: derivatives and values at 0
vh = sp.sqrt(1 - sp.exp(-h))
J = 2 * sp.sqrt(2) * (sp.atanh(vh) - vh)
# dJ/dh = 2 sqrt 2 (1/(1 - v^2) - 1) v' with 1 - v^2 = e^{-h} and v' = e^{-h}/(2 v): = sqrt 2 v
vs = sp.symbols("v_s", positive=True)
dJ_chain = 2 * sp.sqrt(2) * (1 / (1 - vs**2) - 1) * (1 - vs**2) / (2 * vs)
check("(4.5) dJ/dh = sqrt(2) v = sqrt(2 (1 - e^{-h})) (chain rule in v)", sp.simplify(dJ_chain - sp.sqrt(2) * vs) == 0)
check("(4.5) dJ/dh = sqrt(2 (1 - e^{-h})) at h = 1/10, 7/10, 3 (40 digits)",
      all(abs(sp.N((sp.diff(J, h) - sp.sqrt(2 * (1 - sp.exp(-h)))).subs(h, q), 40)) < 1e-35
          for q in (sp.Rational(1, 10), sp.Rational(7, 10), sp.Integer(3))))
check("(4.5) J(0) = 0", sp.limit(J, h, 0, "+") == 0)
Dh = 2 * (h + sp.exp(-h) - 1)
check("(4.5) D(h) = int_0^h 2 (1 - e^{-u}) du", sp.simplify(sp.integrate(2 * (1 - sp.exp(-u)), (u, 0, h)) - Dh) == 0)
check("(4.5) J(h) ~ (2 sqrt 2 / 3) h^{3/2}", sp.limit(J / h ** sp.Rational(3, 2), h, 0, "+") == 2 * sp.sqrt(2) / 3)
check("(4.5) D(h) ~ h^2", sp.limit(Dh / h**2, h, 0, "+") == 1)
integrand = sp.expand((sp.sqrt(e) + sp.sqrt(2 * (1 - sp.exp(-u)))) ** 2)
check("(4.5) (sqrt e + sqrt(2(1-e^-u)))^2 = e + 2 sqrt(e) sqrt(2(1-e^-u)) + 2(1-e^-u)",
      sp.simplify(integrand - (e + 2 * sp.sqrt(e) * sp.sqrt(2 * (1 - sp.exp(-u))) + 2 * (1 - sp.exp(-u)))) == 0)

# initial term: KL(N(0, l) || N(0, 1)) = (l - 1 - ln l)/2 per coordinate, 0 at l = 1
l = sp.symbols("l", positive=True)
z = sp.symbols("z", real=True)
dens = lambda var, q: sp.exp(-q**2 / (2 * var)) / sp.sqrt(2 * sp.pi * var)  # noqa: E731
kl = sp.integrate(dens(l, z) * sp.log(dens(l, z) / dens(1, z)), (z, -sp.oo, sp.oo))
check("initial term: KL(N(0,l) || N(0,1)) = (l - 1 - ln l) / 2", sp.simplify(kl - (l - 1 - sp.log(l)) / 2) == 0)

for name, ok in RESULTS:
    print(("ok   " if ok else "FAIL ") + name)
failed = [name for name, ok in RESULTS if not ok]
print(f"{len(RESULTS) - len(failed)}/{len(RESULTS)} checks passed")
sys.exit(1 if failed else 0)
