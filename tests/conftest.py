"""Fixtures shared by the test modules: the two paths of the batched solver (`rmt_dsm.batch`)."""
import pytest

from rmt_dsm import batch


@pytest.fixture(params=["chain", "vectorized"])
def batch_path(request, monkeypatch):
    """Many points by the C path one after the other (`rmt_dsm.batch._chained`, where the C
    kernels are built; otherwise the vectorized path runs here too), or by the vectorized path
    (`rmt_dsm.batch._batch`)."""
    monkeypatch.setattr(batch, "_CHAIN", request.param == "chain")
    return request.param


@pytest.fixture
def vectorized_batch(monkeypatch):
    """Many points by the vectorized path (`rmt_dsm.batch._batch`) even where the C path is built."""
    monkeypatch.setattr(batch, "_CHAIN", False)
