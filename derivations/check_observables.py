#!/usr/bin/env python
"""Exact checks of the observables and error formulas at finite m [D§3, D§6].

The reduced Dyson system is checked against the engine's generic one (check_dsm.py D§5.3) and
the Schur-complement readings of the pencil against L^{-1} (check_pencils.py). What links those
blocks to the errors is checked here, in exact rational arithmetic, on small random integer
instances (any matrices: these are finite-d identities, no limit is taken):

* [D eqs. (6.2)-(6.3)] Q and X1 in the blocks of G (the block forms, written here from the
  population table) against the traces they stand for: with two populations of
  N_0 = n and N_1 = (m - 1) n pairs (m = 2, 3), inputs Yhat_k, features Phi_k, targets
  T_k = beta_k Yhat_k + omega_k E_k (E_k the label noise, averaged exactly: E[E^T M E] = tr(M) I)
  and beta_k, omega_k, N_k/N coded here from the table (2.4) in m (not from populations.py),

      tr(V^T P V)/d = C - x Q(g),   tr(C W)/(d sqrt d) = X1(g),

  where g are the normalized traces of the blocks (5.2) of L^{-1} and
  C = sum_k beta_k^2 tr(Yhat_k^T Yhat_k)/(N d) + sum_k omega_k^2 N_k/N (-> 1 in the limit);
* [S eqs. (5.3)-(5.4)] the code's Q and X1 (rmt_dsm.dsm.observables.Q_expr / X1_expr, in the three
  unknowns) equal those block forms with the explicit blocks of the reduced solution
  (rmt_dsm.dsm.system.blocks_of_G) substituted, symbolically for general kappa;
* [D eqs. (6.4)-(6.5), D§5.2] the code's E_train, E_test, E_score, gap and F_pop in both charts
  (error_expressions with chart_expressions), evaluated at Q(x, y, eps) = (1 - h)/x of a finite
  instance with h = tr(V^T (U - x y - x eps Gamma^2 A)^{-1} V)/d (the probe of S eq. (5.1)), against the definitions: the training
  loss ||T - Phi C^T||^2/(dN) and the test error 1 - 2 tr(C B)/d + tr(C Sigma_phi C^T)/d of the
  Gaussian-equivalent features, B = mu1 sqrt(Delta) W/sqrt(d),
  Sigma_phi = mu1^2 (a^2 + Delta) W W^T/d + (v^2 + s^2) I, at a^2 + Delta != 1.

Run:  python derivations/check_observables.py     (exit status 1 on any failure)
"""
import sys

from checklib import FAILED, report

import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402

from rmt_dsm.dsm import observables as O  # noqa: E402
from rmt_dsm.dsm import symbols as S  # noqa: E402
from rmt_dsm.dsm.system import atom_blocks, blocks_of_G, g_u0, g_u1  # noqa: E402


def _int_matrix(rng, rows, cols, lo=-3, hi=4):
    return sp.Matrix(rng.integers(lo, hi, size=(rows, cols)).tolist())


def table_2_4(m, a, delta):
    """(N_k/N, beta_k, omega_k^2) of the two populations, from the table (2.4) of the derivation."""
    g0 = m * a**2 + delta
    return [(sp.Integer(1) / m, sp.sqrt(delta) / g0, m * a**2 / g0),
            (1 - sp.Integer(1) / m, 1 / sp.sqrt(delta), sp.Integer(0))]


def _generic_G():
    """The blocks of G (5.2) entering Q and X1, every entry a free symbol."""
    gb = {(k, l): sp.Symbol(f"G_b{min(k, l)}b{max(k, l)}") for k in range(2) for l in range(2)}
    gba = {k: sp.Symbol(f"G_b{k}a{k}") for k in range(2)}
    out = {("b", k, l): gb[(k, l)] for k in range(2) for l in range(2)}
    out.update({("ba", k): gba[k] for k in range(2)})
    return out


def block_Q_X1(G, m=None):
    """[D eqs. (6.2)-(6.3)] Q and X1 in terms of the blocks of G and g_u0, g_u1, with the
    population table (2.4) coded here (m symbolic through kappa = 1/m unless given):

        Q  = sum_kl beta_k beta_l G_(b_k b_l) + sum_k omega_k^2 (N_k/N) g_(u_k),
        X1 = sum_k beta_k (G_(b_k a_k) + 1/mu1).
    """
    mm = m if m is not None else 1 / S.kappa
    pops = table_2_4(mm, S.a, S.delta)
    Q = sum(pops[k][1] * pops[l][1] * G[("b", k, l)] for k in range(2) for l in range(2))
    Q += sum(pk[2] * pk[0] * g for pk, g in zip(pops, (g_u0, g_u1)))
    X1 = sum(pk[1] * (G[("ba", k)] + 1 / S.mu1) for k, pk in enumerate(pops))
    return Q, X1


def check_code_Q_X1():
    """[D eqs. (6.2)-(6.3) -> S eqs. (5.3)-(5.4)] the code's Q and X1 (rmt_dsm.dsm.observables, in
    the three unknowns) are the block forms with the explicit blocks of the reduced solution
    (rmt_dsm.dsm.system.blocks_of_G, checked against the generic Dyson system in
    check_structured.py) substituted, for general kappa, symbolically."""
    Qb, X1b = block_Q_X1(blocks_of_G(atom_blocks(lk=1)))
    report("D eq. (6.2) code Q == block form with the reduced blocks (isotropic, general kappa, symbolic)",
           sp.simplify(Qb - O.Q_expr()) == 0)
    report("D eq. (6.3) code X1 == block form with the reduced blocks (isotropic, general kappa, symbolic)",
           sp.simplify(X1b - O.X1_expr()) == 0)


def check_Q_X1(seed=3):
    """[D eqs. (6.2)-(6.3)] tr(V^T P V)/d = C - x Q and tr(CW)/(d sqrt d) = X1 on exact instances."""
    G = _generic_G()
    rng = np.random.default_rng(seed)
    for m, n, p, d in ((2, 2, 3, 2), (3, 1, 2, 2)):
        a, delta, mu1 = sp.Rational(3, 2), sp.Rational(1, 2), sp.Rational(2, 3)
        x, y, e = sp.Rational(-1), sp.Rational(2, 5), sp.Rational(1, 3)
        Ns = (n, (m - 1) * n)
        N = sum(Ns)
        W = _int_matrix(rng, p, d)
        A = W * W.T / d
        Yh = [_int_matrix(rng, Nk, d) for Nk in Ns]                   # inputs Yhat_k
        Ph = [_int_matrix(rng, Nk, p) for Nk in Ns]                   # features Phi_k (any matrices)
        B = [P_ / sp.sqrt(N) for P_ in Ph]
        Yt = [Y_ / sp.sqrt(N) for Y_ in Yh]
        lam = -x * y
        P = (sum((Bk.T * Bk for Bk in B), sp.zeros(p, p)) + lam * sp.eye(p) - x * e * A).inv()
        pops = table_2_4(m, a, delta)
        # direct traces (label noise averaged exactly)
        h = sum(pops[k][1] * pops[l][1] * (Yh[k].T * Ph[k] * P * Ph[l].T * Yh[l]).trace()
                for k in range(2) for l in range(2)) / (N**2 * d)
        h += sum(pops[k][2] * (Ph[k] * P * Ph[k].T).trace() for k in range(2)) / N**2
        X1_direct = sum(pops[k][1] * (Yh[k].T * Ph[k] * P * W).trace() for k in range(2)) / (N * d * sp.sqrt(d))
        C = sum(pops[k][1] ** 2 * (Yh[k].T * Yh[k]).trace() / (N * d) + pops[k][2] * sp.Rational(Ns[k], N)
                for k in range(2))
        # normalized traces of the blocks (5.2) of L^{-1}
        Bfull = B[0].col_join(B[1])
        Ruu = (x * sp.eye(N) - Bfull * (y * sp.eye(p) + e * A).inv() * Bfull.T).inv()
        guu = [Ruu[:Ns[0], :Ns[0]].trace() / Ns[0], Ruu[Ns[0]:, Ns[0]:].trace() / Ns[1]]
        vals = {S.kappa: sp.Rational(1, m), S.a: a, S.delta: delta, S.mu1: mu1, g_u0: guu[0], g_u1: guu[1]}
        for k in range(2):
            for l in range(2):
                blk = Yt[k].T * B[k] * P * B[l].T * Yt[l] - (Yt[l].T * Yt[l] if k == l else sp.zeros(d, d))
                vals[G[("b", k, l)]] = (-blk / x).trace() / d
            vals[G[("ba", k)]] = (Yt[k].T * B[k] * P * W / sp.sqrt(d) - sp.eye(d) / mu1).trace() / d
        Qc, X1c = block_Q_X1(G, m)
        q_code = Qc.subs(vals)
        x1_code = X1c.subs(vals)
        report(f"D eq. (6.2) tr(V^T P V)/d = C - x Q at m = {m} (exact instance)",
               sp.simplify(h - (C - x * q_code)) == 0)
        report(f"D eq. (6.3) tr(C W)/(d sqrt d) = X1 at m = {m} (exact instance)",
               sp.simplify(X1_direct - x1_code) == 0)


def check_error_formulas(seed=4):
    """[D eqs. (6.4)-(6.5)] the code's errors in both charts == definitions on an exact instance."""
    rng = np.random.default_rng(seed)
    N, p, d = 5, 2, 3
    Phi = _int_matrix(rng, N, p)
    T = sp.Matrix((2 * rng.integers(0, 2, size=(N, d)) - 1).tolist())   # entries +-1: tr(T^T T) = N d
    W = _int_matrix(rng, p, d)
    A = W * W.T / d
    a, delta, mu1, v2, s2 = sp.Rational(3, 2), sp.Rational(1, 2), sp.Rational(2, 3), sp.Rational(1, 5), \
        sp.Rational(1, 7)
    xs, ys, es = sp.symbols("x_ y_ e_")
    U, V = Phi.T * Phi / N, Phi.T * T / N
    # the probe eps (a^2 l + Delta) on the aW block of each atom [S eq. (5.1)]; one atom l = 1
    h = (V.T * (U - xs * ys * sp.eye(p) - xs * es * (a**2 + delta) * A).inv() * V).trace() / d
    Qf = (1 - h) / xs
    exprs = O.error_expressions()
    for lam in (sp.Rational(1, 3), sp.Rational(2)):
        Ct = (U + lam * sp.eye(p)).inv() * V                      # C^T (p x d)
        C = Ct.T
        R = T - Phi * Ct
        train = (R.T * R).trace() / (d * N)
        Bm = mu1 * sp.sqrt(delta) * W / sp.sqrt(d)
        Sig = mu1**2 * (a**2 + delta) * A + (v2 + s2) * sp.eye(p)
        test = 1 - 2 * (C * Bm).trace() / d + (C * Sig * C.T).trace() / d
        floor = 1 - delta / d * ((a**2 + delta) * sp.eye(d)).inv().trace()
        want = {"train": train, "test": test, "score": test - floor, "gap": test - train, "floor": floor}
        X1 = (C * W).trace() / (d * sp.sqrt(d))
        for chart, (xv, yv) in (("primal", (-1, lam)), ("dual", (lam, -1))):
            at = {xs: xv, ys: yv, es: 0}
            q = {O.Q: Qf.subs(at), O.X1: X1, O.dQ_deps: sp.diff(Qf, es).subs(at),
                 O.dQ_dx: sp.diff(Qf, xs).subs(at), O.dQ_dy: sp.diff(Qf, ys).subs(at),
                 S.a: a, S.delta: delta, S.lam: lam, S.mu1: mu1, S.v2: v2, S.s2: s2,
                 O.F_pop: O.floor([(1, 1)], a, delta)}
            H, Hp = O.chart_expressions(chart)
            for name in O.ERROR_NAMES:
                got = exprs[name].subs({O.H: H, O.Hp: Hp}).subs(q)
                report(f"D eqs. (6.4)-(6.5) {name} in the {chart} chart, lambda = {lam}, a^2 + Delta = "
                       f"{a**2 + delta} (exact instance)", sp.simplify(got - want[name]) == 0)


if __name__ == "__main__":
    check_Q_X1()
    check_code_Q_X1()
    check_error_formulas()
    print("all observable checks pass" if not FAILED else f"FAILED: {FAILED}")
    sys.exit(1 if FAILED else 0)
