"""One parallel map for every sweep of the toolkit (phase diagrams, benchmarks, reports).

`parallel_map` applies a picklable function to a list of items and returns the results
**in the order of the items**, whatever the backend and whatever order the workers finish in,
so that a sweep gives the same output on 1 core, on all cores or on a cluster.

Backends:

- ``"joblib"`` (default): worker processes on this machine through joblib's loky backend.
  ``jobs=None`` uses every core, ``jobs=1`` runs serially in the calling process (no workers).
  Workers are reused across calls, so per-process start-up costs (the theory compiles its
  sympy functions once per process, about 1-2 s) are paid once per worker.
- ``"dask"``: the same map on an existing ``dask.distributed`` cluster, ``scheduler`` being
  its address (``tcp://host:8786``) or a ``distributed.Client``.  Needs the optional extra
  ``pip install 'rmt_dsm[dask]'``.

A progress bar (`rmt_dsm.progress`) is drawn on stderr while the results arrive, when
stderr is a terminal; ``progress=False`` silences it.  An unreachable dask scheduler is
refused after `DASK_CONNECT_TIMEOUT` seconds with a ``ValueError`` naming ``scheduler``.

Examples
--------
>>> parallel_map(abs, [-2, 3, -1], jobs=1, progress=False)
[2, 3, 1]
"""
from __future__ import annotations

import os

from .progress import Progress

__all__ = ["parallel_map", "Progress", "BACKENDS", "default_jobs", "DASK_CONNECT_TIMEOUT", "cpu_seconds"]

BACKENDS = ("joblib", "dask")
#: seconds to wait for a dask scheduler to answer before giving up
DASK_CONNECT_TIMEOUT = 5


def default_jobs() -> int:
    """Number of cores available to this process.

    Examples
    --------
    >>> default_jobs() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def cpu_seconds() -> float:
    """CPU time (user + system, seconds) of this process and of its finished child processes.

    The reusable joblib worker pool is shut down first, so that its workers' time is counted (a
    running child's time is not visible to its parent); the next `parallel_map` starts a new pool.
    Dask workers are not counted.  For reports of what a run cost on a shared machine.

    Examples
    --------
    >>> cpu_seconds() > 0
    True
    """
    try:
        from joblib.externals.loky import get_reusable_executor
    except ImportError:  # pragma: no cover - joblib is a dependency
        pass
    else:
        get_reusable_executor().shutdown(wait=True)
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _check(jobs, backend, scheduler):
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be a positive number of processes, got {jobs!r}")
    if backend == "dask" and scheduler is None:
        raise ValueError("scheduler (the address of a running dask.distributed scheduler) is required "
                         "with backend 'dask'")
    if backend == "joblib" and scheduler is not None:
        raise ValueError("scheduler is only used with backend 'dask'")


def _joblib_map(func, items, jobs, bar):
    if jobs == 1 or len(items) <= 1:
        out = []
        for item in items:
            out.append(func(item))
            bar.update()
        return out
    from joblib import Parallel, delayed

    n_jobs = min(jobs or default_jobs(), len(items))
    # batch_size=1: one item per task, so that long items (rows) balance across workers;
    # return_as="generator" yields the results in the items' order as they become available.
    runner = Parallel(n_jobs=n_jobs, backend="loky", batch_size=1, return_as="generator")
    out = []
    for res in runner(delayed(func)(item) for item in items):
        out.append(res)
        bar.update()
    return out


def _dask_map(func, items, scheduler, bar):
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("backend 'dask' needs dask.distributed: pip install 'rmt_dsm[dask]'") from exc
    own = not isinstance(scheduler, Client)
    client = _connect(Client, scheduler) if own else scheduler
    try:
        # pure=False: every call is a task of its own, even for equal items
        futures = client.map(func, items, pure=False)
        for _ in as_completed(futures):
            bar.update()
        return client.gather(futures)  # in the items' order
    finally:
        if own:
            client.close()


def _connect(Client, address):
    """A client of the scheduler at ``address``, or a one-line ValueError naming ``scheduler``."""
    import logging

    quiet = [logging.getLogger(name) for name in ("distributed", "distributed.client", "distributed.comm")]
    levels = [log.level for log in quiet]
    for log in quiet:
        log.setLevel(logging.CRITICAL)
    try:
        return Client(address, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        if len(reason) > 160:
            reason = reason[:157] + "..."
        raise ValueError(f"scheduler: cannot connect to the dask scheduler at {address!r} within "
                         f"{DASK_CONNECT_TIMEOUT} s ({reason})") from None
    finally:
        for log, level in zip(quiet, levels):
            log.setLevel(level)


def parallel_map(func, items, jobs=None, backend="joblib", scheduler=None, progress=True, label="sweep"):
    """``[func(item) for item in items]``, computed in parallel, results in the items' order.

    Parameters
    ----------
    func:
        A picklable function (defined at module level) of one item.
    items:
        Iterable of picklable items; each item is one task.
    jobs:
        Number of worker processes for ``backend="joblib"`` (None: all cores; 1: serial,
        in this process).  Ignored by ``backend="dask"`` (the cluster decides).
    backend:
        ``"joblib"`` (local processes, loky) or ``"dask"`` (an existing dask.distributed cluster).
    scheduler:
        With ``backend="dask"``: the scheduler's address, e.g. ``"tcp://127.0.0.1:8786"``, or a
        ``distributed.Client``.
    progress:
        Draw a progress bar on stderr when it is a terminal (False: never).
    label:
        Text in front of the progress bar.

    Raises
    ------
    Exception
        An exception raised by ``func`` on any item is raised again here.

    Examples
    --------
    >>> parallel_map(str, range(3), jobs=1, progress=False)
    ['0', '1', '2']
    """
    _check(jobs, backend, scheduler)
    items = list(items)
    bar = Progress(len(items), label=label, enabled=None if progress else False)
    try:
        if backend == "joblib":
            return _joblib_map(func, items, jobs, bar)
        return _dask_map(func, items, scheduler, bar)
    finally:
        bar.close()
