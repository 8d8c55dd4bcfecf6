#!/usr/bin/env python
"""Write docs/performance.md from the outputs of the benchmark scripts (run once, commit the page).

Runs every ``benchmarks/*.py`` (in name order, with the modest arguments of ``ARGS``) and the
60 x 60 ``rmt-dsm phase`` diagram, captures their standard output and wall times, and writes them
with the machine description into docs/performance.md -- only with ``--write``; otherwise the
page goes to stdout (or to ``--out FILE``), so that a trial run never rewrites a tracked file.

    .venv/bin/python scripts/gen_performance_page.py [--only NAME ...] [--timeout SECONDS] [--write]

With ``--only``, the sections of the other benchmarks are kept from the existing page
(docs/performance.md, or ``--out FILE``).  ``--only reports`` rewrites only the section on the
validation reports, from the run metadata they store (docs/data/validation_meta.json,
docs/data/ge_finite_m_meta.json): nothing is run for it.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
#: command-line arguments per benchmark script (keep the run modest on a shared machine)
ARGS = {
    "simulate.py": ["--dims", "250", "500", "1000"],
    "theory.py": ["--repeats", "5"],
    "spectral.py": ["--repeats", "5"],  # + the published solver when RMT_DSM_BONNAIRE_SRC is set
    "population.py": ["--dims", "250", "500", "1000"],
    "cold_start.py": ["--baseline", "51e56c8"],  # the tree before the generated code (issue 12)
    "moments.py": ["--baseline", "51e56c8"],  # the tree before the first-pass guard digits (issue 12)
    "batch.py": ["--baseline", "ee4a1a9"],  # the tree before the chain in C (issue 12)
}


def run(cmd, timeout):
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
        out, status = proc.stdout, proc.returncode
        if status != 0:
            out += "\n[stderr]\n" + proc.stderr[-3000:]
    except subprocess.TimeoutExpired as exc:
        out, status = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or ""), "timeout"
    return out.rstrip(), status, time.perf_counter() - t0


def machine() -> str:
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown CPU"
    return (f"{cpu}, {len(os.sched_getaffinity(0))} cores available, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


#: wall time of docs/validation.md sections 1-4 in the last run before batching (serial, recorded then)
BEFORE_BATCHING_MIN = 19.6


def reports_section() -> tuple:
    """(title, text) of the section on the validation reports, from their stored run metadata."""
    data = ROOT / "docs" / "data"
    rows = ["| report | command | wall time | CPU time | --jobs | load average (start / end) |", "|---|---|---|---|---|---|"]
    v = json.loads((data / "validation_meta.json").read_text())
    for prefix, what, cmd in (("", "`docs/validation.md` sections 1-4", "--skip-structured --write"),
                              ("structured_", "`docs/validation.md` section 6", "--structured-only --write")):
        if prefix + "cpu_s" in v:
            rows.append(f"| {what} | `python scripts/make_validation_report.py {cmd} --jobs {v[prefix + 'jobs']}` | "
                        f"{v[prefix + 'runtime_s'] / 60:.1f} min | {v[prefix + 'cpu_s'] / 60:.1f} min | "
                        f"{v[prefix + 'jobs']} | {v[prefix + 'load_start'][0]:.1f} / {v[prefix + 'load_end'][0]:.1f} |")
        elif prefix + "runtime_s" in v:  # a run before the script recorded its CPU time and load
            rows.append(f"| {what} | `python scripts/make_validation_report.py {cmd}` | "
                        f"{v[prefix + 'runtime_s'] / 60:.1f} min | not recorded | | not recorded |")
    ge_path = data / "ge_finite_m_meta.json"
    if ge_path.exists():
        g = json.loads(ge_path.read_text())
        runs = list(g.values())
        cpu = (f"{sum(r['cpu_all_s'] for r in runs) / 60:.1f} min" if all("cpu_all_s" in r for r in runs)
               else "not recorded")
        rows.append(f"| `docs/ge_finite_m.md` | `python scripts/validate_ge_finite_m.py --write --jobs "
                    f"{max(r['jobs'] for r in runs)}` | {sum(r['wall_s'] for r in runs) / 60:.1f} min | {cpu} | "
                    f"{max(r['jobs'] for r in runs)} | {min(r['load_before'] for r in runs):.1f}-"
                    f"{max(r['load_before'] for r in runs):.1f} / {min(r['load_after'] for r in runs):.1f}-"
                    f"{max(r['load_after'] for r in runs):.1f} |")
    text = ("The last regeneration of each validation report, as recorded by its script. CPU time is that of "
            "the script and its worker processes; on this 2-core machine shared with other jobs (the load "
            "average counts them) the wall time of an otherwise idle machine is about the CPU time divided "
            "by the number of workers.\n\n" + "\n".join(rows))
    if "cpu_s" in v:  # issue target: sections 1-4 in <= 1/3 of their last serial, unbatched run (19.6 min)
        text += (f"\n\nSections 1-4 took {BEFORE_BATCHING_MIN} min before the batched theory and the "
                 f"control-variate simulator (a serial run); the target 1/3 of it is {BEFORE_BATCHING_MIN / 3:.1f} "
                 f"min. The last run used {v['cpu_s'] / 60:.1f} min of CPU: on an idle machine its wall time lies "
                 f"between {v['cpu_s'] / v['jobs'] / 60:.1f} min (all {v['jobs']} workers busy) and "
                 f"{v['cpu_s'] / 60:.1f} min (serial); the wall time in the table is that of a machine shared "
                 f"with other jobs.")
    return "Validation reports", text


def _old_sections(text: str) -> list:
    """(title, body) of each '## ' section of an existing page."""
    out = []
    for chunk in text.split("\n## ")[1:]:
        title, _, body = chunk.partition("\n")
        out.append((title.strip(), body.strip("\n")))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None,
                    help="benchmark file names (default: all) or 'phase'; the other sections are kept")
    ap.add_argument("--timeout", type=float, default=900.0, help="per benchmark (seconds)")
    ap.add_argument("--write", action="store_true", help="write docs/performance.md (a tracked file)")
    ap.add_argument("--out", default=None, help="write the page to this file (default: stdout, or "
                                                "docs/performance.md with --write)")
    args = ap.parse_args(argv)
    if args.write and args.out is None:
        args.out = str(ROOT / "docs" / "performance.md")
    scripts = sorted(p.name for p in (ROOT / "benchmarks").glob("*.py") if not p.name.startswith("_"))
    selected = [s for s in scripts if args.only is None or s in args.only]
    sections = []
    for name in selected:
        cmd = [PY, f"benchmarks/{name}", *ARGS.get(name, [])]
        sys.stderr.write(f"running {' '.join(cmd[1:])}\n")
        out, status, wall = run(cmd, args.timeout)
        doc = (ast.get_docstring(ast.parse((ROOT / "benchmarks" / name).read_text())) or "").split("\n\n")[0]
        sections.append((f"`benchmarks/{name}`", " ".join(doc.split()),
                         f"python {' '.join(cmd[1:])}", out, status, wall))
    if args.only is None or "phase" in args.only:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [str(Path(PY).with_name("rmt-dsm")), "phase", "--m", "1", "--t", "0.3", "--lam", "0",
                   "--num", "60", "--out", f"{tmp}/phase", "--no-progress"]
            sys.stderr.write("running rmt-dsm phase (60 x 60)\n")
            out, status, wall = run(cmd, args.timeout)
        sections.append(("`rmt-dsm phase`, 60 x 60 grid",
                         "The phase diagram at m = 1, t = 0.3, lambda = 0 (60 rows of 60 points, double "
                         "precision) on all cores with joblib, including process start-up, the workers' "
                         "compilation of the theory and the figures.",
                         "rmt-dsm phase --m 1 --t 0.3 --lam 0 --num 60 --out phase", out.replace(tmp, "."),
                         status, wall))
    if args.only is None or "reports" in args.only:
        title, text = reports_section()
        sections.append((title, None, None, text, 0, None))
    previous = Path(args.out) if args.out else ROOT / "docs" / "performance.md"
    if args.only is not None and previous.exists():  # keep the other sections of the page
        fresh = {title for title, *_ in sections}
        for title, body in _old_sections(previous.read_text()):
            if title not in fresh:
                sections.append((title, None, None, body, 0, None))
        # benchmarks by name, then phase, then the validation reports
        sections.sort(key=lambda sec: (sec[0] == "Validation reports", sec[0].startswith("`rmt-dsm"), sec[0]))
    lines = ["# Performance", "",
             "Generated by `scripts/gen_performance_page.py` from the benchmark scripts in `benchmarks/`",
             "(re-run it to refresh this page). The machine may be shared with other jobs, so the numbers are",
             "indicative.", "", f"**Machine:** {machine()}.", ""]
    for title, doc, cmd, out, status, wall in sections:
        lines += [f"## {title}", ""]
        if cmd is None:  # kept from the previous page, verbatim
            lines += [out, ""]
            continue
        if doc:
            lines += [doc, ""]
        lines += [f"Command: `{cmd}` — wall time {wall:.1f} s"
                  + ("" if status == 0 else f" (exit status {status})") + ".", "",
                  "```text", out or "(no output)", "```", ""]
    if args.out is None:
        sys.stdout.write("\n".join(lines))
        return 0
    Path(args.out).write_text("\n".join(lines))
    sys.stderr.write(f"wrote {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
