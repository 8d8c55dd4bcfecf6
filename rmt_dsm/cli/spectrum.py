"""``rmt-dsm spectrum``: limiting eigenvalue density of the feature covariance U.

    rmt-dsm spectrum --psi-n X --psi-p Y --m M (--t T | --a A --delta D) [--activation NAME]
                     [--emax E] [--num K] [--out PREFIX] [--json]

Writes PREFIX.csv (energy, density) and PREFIX.png/.pdf: the bulk density of
U = (1/N) sum phi phi^T and its atom (finite m: at 0, mass 1 - m psi_n/psi_p when p > N;
m = inf: at s^2, mass 1 - (psi_n + 1)/psi_p when p > n + d).  See rmt_dsm.dsm.spectrum.
"""
from __future__ import annotations

import csv
import json
import sys

import numpy as np

from rmt_dsm.cli.options import add_model_options, check_out, finite_float, json_m
from rmt_dsm.model import check_lam
from rmt_dsm.progress import track

__all__ = ["add_parser", "run"]

#: most energies of one density
MAX_NUM = 10000


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("spectrum", help="eigenvalue density of the feature covariance U",
                              description=__doc__.splitlines()[0])
    add_model_options(p)
    p.add_argument("--emax", type=finite_float, default=None,
                   help="largest energy (default: from a first coarse scan)")
    p.add_argument("--num", type=int, default=200, help=f"number of energies, 2 to {MAX_NUM}")
    p.add_argument("--out", default="rmt_dsm_spectrum", help="output prefix: writes PREFIX.csv, .png, .pdf")
    p.add_argument("--json", action="store_true", help="print the density as JSON on stdout")
    p.set_defaults(run=run)


def _support_top(psi_n, psi_p, m, kw) -> float:
    """A safe upper end: the density vanishes beyond it (coarse doubling scan)."""
    from rmt_dsm.dsm.spectrum import spectrum

    e = 1.0
    for _ in track(range(12), "support scan"):
        rho = spectrum(psi_n, psi_p, m, [e, 1.5 * e], **kw).density
        if np.all(rho < 1e-9):
            return e
        e *= 2
    return e


def run(args) -> int:
    from rmt_dsm.dsm.spectrum import spectrum
    from rmt_dsm.engine import ConvergenceError

    if not 2 <= args.num <= MAX_NUM:
        raise ValueError(f"--num must be a number of energies from 2 to {MAX_NUM}, got {args.num}")
    if args.emax is not None and not args.emax > 0:
        raise ValueError(f"--emax must be positive, got {args.emax}")
    check_out(args.out, [".csv", ".png", ".pdf"])
    check_lam(args.lam)  # not used by the spectrum, but a negative ridge is bad input all the same
    kw = dict(t=args.t, activation=args.activation, a=args.a, delta=args.delta)
    try:
        top = args.emax or _support_top(args.psi_n, args.psi_p, args.m, kw)
        E = np.geomspace(top * 1e-4, top, args.num)  # geometric: resolves the bulk next to the atom
        s = spectrum(args.psi_n, args.psi_p, args.m, E, **kw)
    except ConvergenceError as exc:
        sys.stderr.write(f"rmt-dsm spectrum: no convergence: {str(exc).splitlines()[0]}\n")
        return 3
    with open(f"{args.out}.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["energy", "density"])
        w.writerows(zip(s.energies.tolist(), s.density.tolist()))
    from rmt_dsm.plotting import plot_spectrum, save_figure

    fig = plot_spectrum(s, {"psi_n": args.psi_n, "psi_p": args.psi_p, "m": args.m, "t": args.t,
                            "activation": args.activation})
    save_figure(fig, args.out)
    if args.json:
        print(json.dumps({"energies": s.energies.tolist(), "density": s.density.tolist(),
                          "atom_at": s.atom_at, "atom_mass": s.atom_mass,
                          "params": {"psi_n": args.psi_n, "psi_p": args.psi_p, "m": json_m(args.m),
                                     "t": args.t, "a": args.a, "delta": args.delta,
                                     "activation": args.activation}}))
    else:
        sys.stderr.write(f"wrote {args.out}.csv, {args.out}.png, {args.out}.pdf\n")
    return 0
