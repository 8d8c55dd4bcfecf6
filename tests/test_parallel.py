"""rmt_dsm.parallel.parallel_map: joblib (loky) and dask.distributed give the serial results, in order."""
import math

import pytest

from rmt_dsm.parallel import Progress, parallel_map


def _work(item):
    """A deterministic, non-trivial function of one item (module level: picklable)."""
    k, x = item
    return k, sum(math.sin(x * j) / j for j in range(1, 2000))


ITEMS = [(k, 0.1 * k + 0.05) for k in range(12)]


def _boom(x):
    if x == 3:
        raise ArithmeticError("boom at 3")
    return x


def test_serial_map_is_the_list_comprehension():
    assert parallel_map(_work, ITEMS, jobs=1, progress=False) == [_work(i) for i in ITEMS]


def test_joblib_matches_serial_in_order():
    serial = parallel_map(_work, ITEMS, jobs=1, progress=False)
    assert parallel_map(_work, ITEMS, jobs=2, progress=False) == serial
    assert parallel_map(_work, ITEMS, progress=True) == serial  # all cores, with the bar


def test_errors_propagate():
    with pytest.raises(ArithmeticError, match="boom at 3"):
        parallel_map(_boom, range(5), jobs=2, progress=False)


def test_bad_arguments():
    with pytest.raises(ValueError, match="backend"):
        parallel_map(abs, [1], backend="mpi")
    with pytest.raises(ValueError, match="jobs"):
        parallel_map(abs, [1], jobs=0)
    with pytest.raises(ValueError, match="scheduler"):
        parallel_map(abs, [1], backend="dask")
    with pytest.raises(ValueError, match="scheduler"):
        parallel_map(abs, [1], scheduler="tcp://127.0.0.1:1")


def test_empty():
    assert parallel_map(abs, [], jobs=2) == []


def test_progress_bar_draws_on_the_stream():
    import io

    s = io.StringIO()
    bar = Progress(3, label="rows", enabled=True, stream=s)
    for _ in range(3):
        bar.update()
    bar.close()
    assert "rows:" in s.getvalue() and "/3" in s.getvalue()


def test_dask_local_cluster_matches_serial():
    distributed = pytest.importorskip("distributed")
    from rmt_dsm.phase import phase_row

    serial = parallel_map(_work, ITEMS, jobs=1, progress=False)
    task = {"psi_n": 1.0, "psi_p": [0.5, 1.0, 2.0], "m": 2, "t": 0.4, "lam": 0.0, "activation": "tanh",
            "a": None, "delta": None}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        # by address (as the CLI does) and with a Client object
        assert parallel_map(_work, ITEMS, backend="dask", scheduler=cluster.scheduler_address,
                            progress=False) == serial
        with distributed.Client(cluster) as client:
            assert parallel_map(_work, ITEMS, backend="dask", scheduler=client, progress=False) == serial
        theory = parallel_map(phase_row, [task], backend="dask", scheduler=cluster.scheduler_address,
                              progress=False)
    assert theory == [phase_row(task)]


def test_simulation_seeds_on_dask_and_joblib_match_serial(capsys):
    """Seeds through parallel_map (joblib processes, a dask LocalCluster, the CLI) give the same
    numbers as the serial run: every seed draws from its own streams."""
    distributed = pytest.importorskip("distributed")
    import json

    from rmt_dsm.cli import main
    from rmt_dsm.simulate import simulate

    kw = dict(d=24, psi_n=1, psi_p=1.5, m=2, t=0.5, lam=0.05, activation="tanh", seeds=3, n_test=4000)
    serial = simulate(**kw)
    assert simulate(jobs=2, **kw).per_seed == serial.per_seed
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        on_dask = simulate(backend="dask", scheduler=cluster.scheduler_address, **kw)
        capsys.readouterr()
        code = main(["simulate", "--d", "24", "--psi-n", "1", "--psi-p", "1.5", "--m", "2", "--t", "0.5",
                     "--lam", "0.05", "--seeds", "3", "--n-test", "4000", "--json", "--backend", "dask",
                     "--scheduler", cluster.scheduler_address])
        out = capsys.readouterr().out
    assert on_dask.per_seed == serial.per_seed
    assert code == 0
    data = json.loads(out)
    assert data["test"]["mean"] == serial.test.mean and data["train"]["stderr"] == serial.train.stderr


@pytest.mark.parametrize("extra", [["--backend", "dask"], ["--scheduler", "tcp://127.0.0.1:1"], ["--jobs", "0"]])
def test_simulate_cli_bad_backend_arguments(extra, capsys):
    from rmt_dsm.cli import main

    code = main(["simulate", "--d", "10", "--psi-n", "1", "--psi-p", "1", "--m", "1", "--t", "0.5",
                 "--lam", "0.1"] + extra)
    cap = capsys.readouterr()
    assert code == 2 and cap.out == "" and len(cap.err.strip().splitlines()) == 1, cap.err
