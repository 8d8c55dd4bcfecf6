"""Validation points through parallel_map (joblib processes, a dask LocalCluster) give the rows
of the serial run (timings aside): every seed of every simulation has its own random streams."""
import dataclasses

import pytest

from rmt_dsm import validation as V

PTS = [V.Point("A", "tanh", 1.0, 1.5, 2, 0.5, 0.05), V.Point("B", "erf", 1.0, 0.5, 1, 0.2, 0.01)]
ITEMS = [(PTS[0], 20, 2, "true", None), (PTS[1], 24, 2, "equivalent", None), (PTS[1], 16, 3, "true", None)]


def strip(rows):
    return [[dataclasses.replace(r, seconds=0.0) for r in rs] for rs in rows]


def test_compare_many_local_and_dask_match_serial():
    distributed = pytest.importorskip("distributed")
    serial = strip(V.compare_many(ITEMS, jobs=1))
    assert [rs[0].label for rs in serial] == ["A", "B", "B"]
    assert strip(V.compare_many(ITEMS, jobs=2)) == serial
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        assert strip(V.compare_many(ITEMS, backend="dask", scheduler=cluster.scheduler_address)) == serial


def test_trends_equals_trend_per_series():
    plan = [(12, 2), (16, 2), (20, 2)]
    both = V.trends([(PTS[1], plan, None), (PTS[0], plan[:2], None)], jobs=2)
    one = V.trend(PTS[1], plan)
    for q in V.QUANTITIES:
        assert strip([both[0][q].rows]) == strip([one[q].rows])
        assert both[0][q].fit == one[q].fit and both[0][q].fit is not None
    assert [r.d for r in both[1]["test"].rows] == [12, 16]
