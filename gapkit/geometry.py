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


def sphere_toy(delta_theta: float, mismatch: bool = False,
               azimuths: tuple[float, ...] = (-20, 0, 20, 40, 60, 80)) -> tuple[np.ndarray,
                                                                                 np.ndarray]:
    """The paper's 3-D toy (chapter 3): image points on the equator, text points above them.

    Image i sits on the equator at azimuth ``azimuths[i]`` (degrees); text i at the same
    azimuth, raised by ``delta_theta`` (radians) of latitude. With ``mismatch`` the text
    points of the first two pairs are swapped, as two towers that start in different cones
    might pair them up wrongly.
    """
    phi = np.radians(np.asarray(azimuths, dtype=np.float64))
    x = np.stack([np.cos(phi), np.sin(phi), np.zeros_like(phi)], axis=1)
    y = np.stack([np.cos(phi) * np.cos(delta_theta), np.sin(phi) * np.cos(delta_theta),
                  np.full_like(phi, np.sin(delta_theta))], axis=1)
    if mismatch:
        y[[0, 1]] = y[[1, 0]]
    return x, y


def descend_text(x: np.ndarray, y: np.ndarray, temperature: float, steps: int = 300,
                 lr: float = 0.05) -> np.ndarray:
    """Move the text points by gradient descent on the CLIP loss, image points held fixed,
    projecting back onto the sphere after each step. Returns the path, shape
    (steps + 1, N, D)."""
    import torch
    from open_clip.loss import ClipLoss

    images = torch.as_tensor(x, dtype=torch.float64)
    texts = torch.nn.Parameter(torch.as_tensor(y, dtype=torch.float64).clone())
    loss, scale = ClipLoss(), torch.tensor(1 / temperature, dtype=torch.float64)
    optimizer = torch.optim.SGD([texts], lr=lr)
    path = [texts.detach().numpy().copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        loss(images, texts, scale).backward()
        optimizer.step()
        with torch.no_grad():
            texts /= texts.norm(dim=1, keepdim=True)
        path.append(texts.detach().numpy().copy())
    return np.stack(path)
