"""Real datasets available offline, preprocessed for the model of docs/model.md (zero mean, tr(Sigma)/d = 1).

Needs scikit-learn (the optional extra ``data``: ``pip install -e '.[data]'``), which ships the
datasets in its package; nothing is downloaded.

>>> x = digits()  # doctest: +SKIP
>>> x.shape, round(float((x ** 2).sum(axis=1).mean() / x.shape[1]), 12)  # doctest: +SKIP
((1797, 64), 1.0)
"""
from __future__ import annotations

import numpy as np

__all__ = ["digits", "standardize"]


def standardize(images: np.ndarray) -> np.ndarray:
    """Centre each coordinate (subtract the mean sample) and multiply by one global factor so that
    the second moment Sigma = X^T X / rows has tr(Sigma)/d = 1 (the pixel scale is not equalized:
    the spectrum keeps its shape).

    >>> standardize(np.array([[0.0, 5.0], [2.0, 5.0], [4.0, 5.0], [2.0, 5.0]])).tolist()
    [[-2.0, 0.0], [0.0, 0.0], [2.0, 0.0], [0.0, 0.0]]
    """
    x = np.asarray(images, dtype=np.float64)
    x = x - x.mean(axis=0)
    power = float((x ** 2).sum() / x.size)
    if not power > 0:
        raise ValueError("images: every coordinate is constant (no variance)")
    return x / np.sqrt(power)


def digits() -> np.ndarray:
    """scikit-learn's bundled handwritten digits (1797 images of 8 x 8 = 64 pixels, values 0..16),
    standardized (`standardize`), as a (1797, 64) float64 array.

    Raises
    ------
    ImportError
        scikit-learn is not installed (extra ``data``).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the digits dataset needs scikit-learn: pip install -e '.[data]'") from exc
    return standardize(load_digits().data)
