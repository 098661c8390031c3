"""Moving embeddings around: rotations that align two sets of points.

``procrustes`` aligns one tower's outputs to the other's for the paper's "amended"
initialisation (chapter 3).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import orthogonal_procrustes

from gapkit.metrics import ArrayLike, as_numpy


def procrustes(source: ArrayLike, target: ArrayLike) -> np.ndarray:
    """The orthogonal matrix R minimising ‖source @ R − target‖ (Frobenius norm)."""
    source, target = as_numpy(source, "source"), as_numpy(target, "target")
    if source.shape != target.shape:
        raise ValueError(f"source and target do not pair: shapes {source.shape} and "
                         f"{target.shape}")
    rotation, _ = orthogonal_procrustes(source, target)
    return rotation
