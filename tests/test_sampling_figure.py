"""scripts/make_sampling_figure.py on its small case: files, numbers, the page's table."""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("make_sampling_figure", ROOT / "scripts" / "make_sampling_figure.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_quick_run_writes_figure_numbers_and_table(tmp_path):
    mod = _script()
    page = tmp_path / "page.md"
    page.write_text(f"intro\n{mod.MARK[0]}\nold table\n{mod.MARK[1]}\n{mod.MARK_LAM[0]}\nold\n{mod.MARK_LAM[1]}\nend\n")
    assert mod.main(["--quick", "--out", str(tmp_path), "--page", str(page)]) == 0
    assert (tmp_path / "sampling_fmem.png").stat().st_size > 0 and (tmp_path / "sampling_fmem.pdf").exists()
    data = json.loads((tmp_path / "sampling_numbers.json").read_text())
    cfg = mod.QUICK
    assert len(data["rows"]) == len(cfg["ms"]) * len(cfg["ratios"])
    for row in data["rows"]:
        assert 0.0 <= row["f_mem"][0] <= 1.0
        assert row["f_mem_fresh"][0] == 0.0                # d = 8, n = 8: fresh points are never this close
        assert row["f_mem_empirical_score"][0] > 0.9       # t_1 = 0.02: the empirical score copies
        assert math.isfinite(row["bound_theory"]) and row["bound_theory"] > row["score_term_theory"] > 0
    text = page.read_text()
    assert "old table" not in text and text.startswith("intro") and text.rstrip().endswith("end")
    assert text.count("| m | p/n |") == 1 and text.count("| lam | f_mem |") == 1
    assert [r["lam"] for r in data["lam_rows"]] == [cfg["lam"]] + list(cfg["lam_sweep"]["lams"])
