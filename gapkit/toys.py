"""The paper's toy on the 3-D sphere (chapter 3): six image–text pairs, a latitude between
the modalities, and gradient descent on the CLIP loss that moves the text points.
"""

from __future__ import annotations

import numpy as np


def sphere_toy(delta_theta: float, mismatch: bool = False,
               azimuths: tuple[float, ...] = (-20, 0, 20, 40, 60, 80)) -> tuple[np.ndarray,
                                                                                 np.ndarray]:
    """The paper's 3-D toy (chapter 3): image points on the equator, text points above them.

    Image i sits on the equator at azimuth ``azimuths[i]`` (degrees); text i at the same
    azimuth, raised by ``delta_theta`` (radians) of latitude. With ``mismatch`` the text
    points of the first two pairs are swapped: each of the two images is closer to the other's
    caption, the paper's mismatched pairs (§4.3).
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
    (steps + 1, N, D).

    Introduced in chapter 3 (Mismatched initialisation)."""
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
