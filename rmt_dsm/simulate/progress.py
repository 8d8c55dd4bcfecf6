"""A tiny progress bar on stderr (no dependency).

Shown when ``enabled`` is True, or when it is None and stderr is a terminal; in both cases
only once the run has lasted more than ``delay`` seconds, so short runs stay silent.
"""
from __future__ import annotations

import sys
import time

__all__ = ["Progress"]


class Progress:
    """Counts work units and redraws ``label [#####.....] 42%`` at most 10 times a second."""

    def __init__(self, total: float, label: str = "simulate", enabled=None, delay: float = 2.0,
                 stream=None):
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = bool(enabled) and total > 0
        self.total, self.label, self.delay = float(total), label, delay
        self.done = 0.0
        self.start = self._last = time.monotonic()
        self.drawn = False

    def update(self, units: float) -> None:
        self.done += units
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < self.delay or now - self._last < 0.1:
            return
        self._last = now
        frac = min(1.0, self.done / self.total)
        bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
        eta = (now - self.start) * (1.0 - frac) / frac if frac > 0 else float("nan")
        self.stream.write(f"\r{self.label} [{bar}] {100 * frac:5.1f}%  eta {eta:6.1f}s")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
