"""Numbers that describe a set of paired embeddings (x_i, y_i).

The landing page uses ``centroid_distance``; chapter 1 introduces the full set.
Rows are L2-normalised inside, so the inputs may come straight from an encoder.
"""

from __future__ import annotations

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor


def as_numpy(a: ArrayLike, name: str = "array") -> np.ndarray:
    """A float64 NumPy view of a tensor or array, rejecting NaN, inf and non-2-D input."""
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D (rows = samples), got shape {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} holds NaN or inf values")
    return a


def normalize_rows(a: ArrayLike, name: str = "array") -> np.ndarray:
    """Rows scaled to unit L2 norm; a zero row is an error, not a silent NaN."""
    a = as_numpy(a, name)
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    zero = np.flatnonzero(norms[:, 0] == 0)
    if zero.size:
        raise ValueError(f"{name} has {zero.size} zero row(s) (first: row {zero[0]}), "
                         "which have no direction")
    return a / norms


def paired(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Check that x and y pair row by row in one space, and L2-normalise both."""
    x, y = normalize_rows(x, "x"), normalize_rows(y, "y")
    if x.shape != y.shape:
        raise ValueError(f"x and y do not pair: shapes {x.shape} and {y.shape} "
                         "(need the same number of rows and the same dimension)")
    return x, y


def gap_vector(x: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Δ = mean(x) − mean(y) of the L2-normalised rows: the modality gap as a vector."""
    x, y = paired(x, y)
    return x.mean(axis=0) - y.mean(axis=0)


def centroid_distance(x: ArrayLike, y: ArrayLike) -> float:
    """‖Δ‖, the distance between the two modalities' centroids (the paper's gap)."""
    return float(np.linalg.norm(gap_vector(x, y)))
