"""Moving embeddings around: rotating one set onto another, shifting both along the gap.

``procrustes`` aligns one tower's outputs to the other's for the paper's "amended"
initialisation (chapter 3); ``shift`` moves the two modalities along the gap vector
(chapters 4 and 5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.linalg import orthogonal_procrustes

from gapkit.metrics import as_numpy, normalize_rows, paired

if TYPE_CHECKING:
    from gapkit.metrics import ArrayLike


def procrustes(source: ArrayLike, target: ArrayLike) -> np.ndarray:
    """The orthogonal matrix R minimising ‖source @ R − target‖ (Frobenius norm)."""
    source, target = as_numpy(source, "source"), as_numpy(target, "target")
    if source.shape != target.shape:
        raise ValueError(f"source and target do not pair: shapes {source.shape} and "
                         f"{target.shape}")
    rotation, _ = orthogonal_procrustes(source, target)
    return rotation


def shift(x: ArrayLike, y: ArrayLike, delta: float) -> tuple[np.ndarray, np.ndarray]:
    """The paper's shift along the gap: x' = n(x − ½δΔ̂), y' = n(y + ½δΔ̂), n = L2-normalise.

    Δ̂ is the unit gap vector of (x, y). δ > 0 closes the gap, δ < 0 widens it, δ = 0 only
    normalises the rows. Chapters 4 and 5 use it.
    """
    x, y = paired(x, y)
    gap = x.mean(axis=0) - y.mean(axis=0)
    norm = np.linalg.norm(gap)
    if norm == 0:
        raise ValueError("x and y have the same centroid: there is no gap to shift along")
    step = 0.5 * delta * gap / norm
    return normalize_rows(x - step, "shifted x"), normalize_rows(y + step, "shifted y")
