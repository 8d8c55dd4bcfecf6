"""Progress bars on stderr, only on a terminal, shared by the simulator, the sweeps and the solver.

A thin layer over ``tqdm``: `Progress` is a ``tqdm`` bar that is drawn when
``enabled`` is True, or -- the default, ``enabled=None`` -- only when its stream is a
terminal, and only once the run has lasted ``delay`` seconds; `track` wraps an
iterable the same way (default delay 2 s, so that quick loops never draw anything).
Bars disappear when they finish (``leave=False``): what remains on stderr are the
one-line messages of the command line.  Neither theory nor simulation: both routes may
import this module.

Examples
--------
>>> import io
>>> list(track(range(3), "demo", stream=io.StringIO()))
[0, 1, 2]
"""
from __future__ import annotations

import sys

from tqdm import tqdm

__all__ = ["Progress", "track"]


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a file
        return False


class Progress(tqdm):
    """A progress bar of ``total`` units on ``stream`` (default: stderr).

    Parameters
    ----------
    total : int or float
        Number of work units; ``update(units)`` counts them.
    label : str
        Text in front of the bar.
    enabled : bool or None
        True: always draw; False: never; None: only if ``stream`` is a terminal.
    delay : float
        Seconds before the bar first appears.
    stream : file, optional
        Where to draw (default ``sys.stderr``).
    """

    def __init__(self, total, label: str = "progress", enabled=None, delay: float = 0.0, stream=None):
        stream = stream or sys.stderr
        if enabled is None:
            enabled = _is_terminal(stream)
        super().__init__(total=total, desc=label, file=stream, delay=delay, leave=False,
                         disable=not (enabled and total and total > 0), dynamic_ncols=True)


def track(iterable, label: str, total=None, enabled=None, delay: float = 2.0, stream=None):
    """Iterate over ``iterable`` with a `Progress` bar (terminal only, after ``delay`` s)."""
    if total is None:
        try:
            total = len(iterable)
        except TypeError:
            total = None
    if enabled is False or (enabled is None and not _is_terminal(stream or sys.stderr)):
        yield from iterable  # no bar: no tqdm object (its lock would import multiprocessing)
        return
    bar = Progress(total if total is not None else 0, label=label, enabled=enabled, delay=delay,
                   stream=stream)
    try:
        for item in iterable:
            yield item
            bar.update(1)
    finally:
        bar.close()
