"""A one-line progress bar on stderr (no dependency), shared by the simulator and the sweeps.

``label [#####.....] 5/10  50.0%  elapsed 1.2s  eta 1.2s`` -- drawn when ``enabled`` is
True, or when it is None and the stream is a terminal; only once the run has lasted
``delay`` seconds, at most 10 times a second (and always at completion).  Neither theory
nor simulation: both routes may import it.
"""
from __future__ import annotations

import sys
import time

__all__ = ["Progress"]


class Progress:
    """Counts work units and redraws the bar on ``stream``."""

    def __init__(self, total: float, label: str = "progress", enabled=None, delay: float = 0.0, stream=None):
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = bool(enabled) and total > 0
        self.total, self.label, self.delay = total, label, delay
        self.done = 0
        self.start = time.monotonic()
        self._last = -1.0
        self.drawn = False

    def update(self, units: float = 1) -> None:
        self.done += units
        if not self.enabled:
            return
        now = time.monotonic()
        finished = self.done >= self.total
        if now - self.start < self.delay or (now - self._last < 0.1 and not finished):
            return
        self._last = now
        frac = min(1.0, self.done / self.total)
        filled = int(30 * frac)
        elapsed = now - self.start
        eta = elapsed * (1.0 - frac) / frac if frac > 0 else float("nan")
        count = f" {self.done}/{self.total}" if isinstance(self.total, int) else ""
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}]{count} {100 * frac:5.1f}%"
                          f"  elapsed {elapsed:6.1f}s  eta {eta:6.1f}s")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
