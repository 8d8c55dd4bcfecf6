#!/usr/bin/env python
"""Gaussian universality on real images: scikit-learn's digits against the theory (docs/structured_data.md).

Data: the 1797 bundled 8 x 8 digits (d = 64), centred and scaled by one factor so that
tr(Sigma)/d = 1 (`rmt_dsm.datasets.digits`); Sigma is the second moment of the whole standardized set
and its 64 eigenvalues (3 of them 0: constant border pixels) are the atoms of the theory
(`rmt_dsm.data_spectrum.from_samples`).  At each point (psi_n = 4, i.e. n = 256; psi_p on both sides of
the threshold m psi_n; m = 1, 4; t = 0.1, 1; tanh; lambda = 1e-2) it compares

- theory: `rmt_dsm.errors(..., sigma=from_samples(images))`;
- Gaussian: the simulator on x ~ N(0, Sigma) with the same 64 eigenvalues (Haar basis), exact
  definition of every error, Monte-Carlo test set -- the finite-d (d = 64) deviation from the theory;
- Gaussian x4: the same at d = 256, each eigenvalue 4 times (psi_p <= 8 only) -- the finite-size trend;
- digits: the simulator trained on n images drawn without replacement (per seed), tested on the
  held-out 1541 images with fresh noise (`simulate(..., data=images)`) -- finite d plus non-Gaussianity.

E_score on digits is measured against the score of the Gaussian with the same covariance (the score of the
digits distribution itself is unknown); E_test and E_train need no model of the data.
Mean and standard error over ``--seeds`` seeds (n_test = 10000 test pairs per seed).  Writes
docs/data/digits_comparison.json and docs/figures/digits_*.png only with ``--write`` (else ``--out DIR``).

    .venv/bin/python scripts/real_data_digits.py [--seeds 8] [--write | --out DIR] [--replot]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import rmt_dsm  # noqa: E402
from rmt_dsm.data_spectrum import from_samples  # noqa: E402
from rmt_dsm.datasets import digits  # noqa: E402
from rmt_dsm.simulate import simulate  # noqa: E402

PSI_N, LAM, ACT, N_TEST = 4.0, 1e-2, "tanh", 10000
#: (m, psi_p values): psi_p below, at and above the threshold m psi_n
GRID = {1: (1.0, 2.0, 4.0, 8.0, 16.0), 4: (4.0, 8.0, 16.0, 32.0)}
TIMES = (0.1, 1.0)
KEYS = ("train", "test", "score")
LARGE_D_FACTOR, LARGE_D_MAX_PSI_P = 4, 8.0


def compare(images, seeds):
    sigma = from_samples(images)
    eigs = np.clip(np.linalg.eigvalsh(images.T @ images / images.shape[0]), 0.0, None)
    rows = []
    for t in TIMES:
        for m, values in GRID.items():
            for psi_p in values:
                t0 = time.perf_counter()
                th = rmt_dsm.errors(PSI_N, psi_p, m, t=t, lam=LAM, activation=ACT, sigma=sigma)
                kw = dict(d=64, psi_n=PSI_N, psi_p=psi_p, m=m, t=t, lam=LAM, activation=ACT, seeds=seeds,
                          n_test=N_TEST, population="mc")
                ga = simulate(**kw, sigma_eigs=eigs, seed=11)
                da = simulate(**kw, data=images, seed=12)
                runs = [("gauss", ga), ("digits", da)]
                if psi_p <= LARGE_D_MAX_PSI_P:
                    kw.update(d=64 * LARGE_D_FACTOR, seeds=max(2, seeds // 2))
                    runs.append(("gauss4", simulate(**kw, sigma_eigs=np.repeat(eigs, LARGE_D_FACTOR), seed=13)))
                row = {"t": t, "m": m, "psi_p": psi_p, "floor": float(th.floor)}
                for k in KEYS:
                    row[f"theory_{k}"] = float(getattr(th, k))
                    for tag, r in runs:
                        row[f"{tag}_{k}"], row[f"{tag}_{k}_se"] = getattr(r, k).mean, getattr(r, k).stderr
                rows.append(row)
                print(f"t={t} m={m} psi_p={psi_p:5g}  " + "  ".join(
                    f"{k}: th {row['theory_' + k]:.4f} ga {row['gauss_' + k]:.4f}+-{row['gauss_' + k + '_se']:.4f}"
                    f" dg {row['digits_' + k]:.4f}+-{row['digits_' + k + '_se']:.4f}" for k in KEYS)
                    + f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
    return sigma, rows


def table(rows) -> str:
    """The comparison as the markdown table of docs/structured_data.md (mean +- standard error)."""
    def cell(r, tag, k):
        return f"{r[f'{tag}_{k}']:.4f} ± {r[f'{tag}_{k}_se']:.4f}" if f"{tag}_{k}" in r else "-"

    lines = ["| t | m | psi_p | error | theory | Gaussian d=256 | Gaussian d=64 | digits d=64 |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        for k in KEYS:
            lines.append(f"| {r['t']:g} | {r['m']} | {r['psi_p']:g} | {k} | {r[f'theory_{k}']:.4f} | "
                         f"{cell(r, 'gauss4', k)} | {cell(r, 'gauss', k)} | {cell(r, 'digits', k)} |")
    return "\n".join(lines)


def figure(sigma, rows, out: Path):
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    ev = np.sort(np.asarray(sigma.eigenvalues, float))[::-1]
    w = np.asarray(sigma.weights, float)[np.argsort(np.asarray(sigma.eigenvalues, float))[::-1]]
    axes[0].semilogy(np.cumsum(w) - w / 2, np.where(ev > 0, ev, np.nan), "o", ms=3)
    axes[0].set(xlabel="u (fraction of directions)", ylabel="eigenvalue of Sigma",
                title=f"digits spectrum (psi_D = {float(sigma.psi_d):.3f})")
    for ax, t in zip(axes[1:], TIMES):
        for m, style in ((1, "-"), (4, "--")):
            sel = [r for r in rows if r["t"] == t and r["m"] == m]
            ps = [r["psi_p"] for r in sel]
            dense = np.geomspace(ps[0], ps[-1], 60)
            th = rmt_dsm.learning_curve("psi_p", dense, psi_n=PSI_N, m=m, t=t, lam=LAM, activation=ACT, sigma=sigma)
            for k, col in (("train", "C0"), ("test", "C3")):
                ax.plot(dense, [float(getattr(e, k)) for e in th], style, color=col, lw=1,
                        label=f"theory {k}, m={m}")
                ax.errorbar(ps, [r[f"gauss_{k}"] for r in sel], [2 * r[f"gauss_{k}_se"] for r in sel],
                            fmt="s", mfc="none", color=col, ms=5, label="Gaussian d=64" if (k, m) == ("test", 1) else None)
                big = [r for r in sel if "gauss4_test" in r]
                ax.errorbar([r["psi_p"] for r in big], [r[f"gauss4_{k}"] for r in big],
                            [2 * r[f"gauss4_{k}_se"] for r in big], fmt="^", mfc="none", color=col, ms=5,
                            label="Gaussian d=256" if (k, m) == ("test", 1) else None)
                ax.errorbar(ps, [r[f"digits_{k}"] for r in sel], [2 * r[f"digits_{k}_se"] for r in sel],
                            fmt="x", color=col, ms=6, label="digits" if (k, m) == ("test", 1) else None)
        ax.axhline(sel[0]["floor"], color="gray", lw=0.7, ls=":")
        ax.set(xscale="log", xlabel="psi_p", ylabel="error", title=f"t = {t}, psi_n = {PSI_N:g}, lam = {LAM:g}")
        ax.legend(fontsize=6.5)
    fig.tight_layout()
    fig.savefig(out / "digits_comparison.png", dpi=130)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--replot", action="store_true", help="redraw the figure from the JSON already written")
    args = ap.parse_args()
    if args.write:
        fig_dir, data_dir = ROOT / "docs" / "figures", ROOT / "docs" / "data"
    else:
        fig_dir = data_dir = args.out or Path(tempfile.mkdtemp(prefix="digits_"))
        fig_dir.mkdir(parents=True, exist_ok=True)
    images = digits()
    if args.replot:
        rows = json.loads((data_dir / "digits_comparison.json").read_text())["rows"]
        figure(from_samples(images), rows, fig_dir)
        print(table(rows))
        return
    sigma, rows = compare(images, args.seeds)
    meta = {"large_d": 64 * LARGE_D_FACTOR, "large_d_max_psi_p": LARGE_D_MAX_PSI_P, "psi_n": PSI_N, "lam": LAM, "activation": ACT, "d": 64, "n_pool": images.shape[0],
            "seeds": args.seeds, "n_test": N_TEST, "psi_d": float(sigma.psi_d),
            "eigenvalues": sorted(float(v) for v in np.linalg.eigvalsh(images.T @ images / images.shape[0]))}
    (data_dir / "digits_comparison.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    figure(sigma, rows, fig_dir)
    print(table(rows))
    print(f"wrote {data_dir / 'digits_comparison.json'} and {fig_dir / 'digits_comparison.png'}")


if __name__ == "__main__":
    main()
