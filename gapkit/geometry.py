"""Moving embeddings around: rotating one set onto another, shifting both along the gap.

``procrustes`` aligns one tower's outputs to the other's for the paper's "amended"
initialisation (chapter 3); ``shift`` moves the two modalities along the gap vector
(chapters 4 and 5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.linalg import orthogonal_procrustes

from gapkit import metrics
from gapkit.metrics import as_numpy

if TYPE_CHECKING:
    from gapkit.metrics import ArrayLike


def procrustes(source: ArrayLike, target: ArrayLike) -> np.ndarray:
    """The orthogonal matrix R minimising ‖source @ R − target‖ (Frobenius norm).

    The amended start of chapter 3 uses it."""
    source, target = as_numpy(source, "source"), as_numpy(target, "target")
    if source.shape != target.shape:
        raise ValueError(f"source and target do not pair: shapes {source.shape} and "
                         f"{target.shape}")
    rotation, _ = orthogonal_procrustes(source, target)
    return rotation


MOVES = ("both", "images")


def unit(direction: ArrayLike, dim: int | None = None, name: str = "direction") -> np.ndarray:
    """``direction`` scaled to unit length, checked: 1-D, finite, non-zero, ``dim`` long.

    Introduced in the landing page."""
    direction = metrics.on_host(direction).astype(np.float64, copy=False)
    if direction.ndim != 1:
        raise ValueError(f"{name} must be a 1-D vector, got shape {direction.shape}")
    if dim is not None and len(direction) != dim:
        raise ValueError(f"{name} has {len(direction)} entries, the embeddings {dim}")
    if not np.isfinite(direction).all():
        raise ValueError(f"{name} holds NaN or inf values")
    norm = np.linalg.norm(direction)
    if norm == 0:
        raise ValueError(f"{name} is the zero vector, which has no direction")
    return direction / norm


def gap_direction(x: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Δ̂ = Δ / ‖Δ‖, the unit vector from the y centroid to the x centroid (chapters 4, 5)."""
    gap = metrics.gap_vector(x, y)
    if np.linalg.norm(gap) == 0:
        raise ValueError("x and y have the same centroid: there is no gap to shift along")
    return unit(gap)


def shift(x: ArrayLike, y: ArrayLike, delta: float, *, direction: ArrayLike | None = None,
          move: str = "both") -> tuple[np.ndarray, np.ndarray]:
    """Move the modalities along the gap, then L2-normalise (n) every row.

    ``move="both"`` is the paper's Table 1 shift: x' = n(x − ½δΔ̂), y' = n(y + ½δΔ̂).
    ``move="images"`` is its Table 2 shift: x' = n(x − δΔ̂), y' = n(y), the texts stay.
    δ > 0 closes the gap, δ < 0 widens it, δ = 0 only normalises the rows. Δ̂ is the unit
    gap of (x, y), which must then pair; or ``direction``, fitted elsewhere (normalised
    here), and then x and y need only share a dimension (N images against C prompts).
    Chapters 4 and 5 use it.
    """
    if not np.isfinite(delta):
        raise ValueError(f"delta must be a finite number, got {delta}")
    if move not in MOVES:
        raise ValueError(f"unknown move {move!r}: choose from {MOVES}")
    if direction is None:
        x, y = metrics.paired(x, y)
        direction = gap_direction(x, y)
    else:
        x, y = metrics.unit_rows_in_one_space(x, y)
        direction = unit(direction, x.shape[1])
    step_x, step_y = (0.5 * delta, 0.5 * delta) if move == "both" else (delta, 0.0)
    return (metrics.normalize_rows(x - step_x * direction, "shifted x"),
            metrics.normalize_rows(y + step_y * direction, "shifted y"))


def prompt_offsets(direction: ArrayLike, prompts: ArrayLike) -> np.ndarray:
    """b_c = Δ̂·t_c for each L2-normalised prompt t_c (chapter 5).

    Shifting the images alone by δ turns each zero-shot score x·t_c into x·t_c − δ b_c (up
    to a factor common to all classes): a per-class logit offset.
    """
    prompts = metrics.normalize_rows(prompts, "prompts")
    return prompts @ unit(direction, prompts.shape[1])


def split_direction(direction: ArrayLike,
                    prompts: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Δ̂ = inside + outside, where inside lies in the span of the differences t_c − t_c'
    of the normalised prompts and outside is orthogonal to it (chapter 5).

    The outside part adds the same number to every b_c = Δ̂·t_c: it changes no prediction
    of an image-only shift, and a direction with no inside part moves no prediction of
    either kind of shift. A shift of both modalities along a direction with an inside part
    also feels the outside part, which rescales the scores against the offsets (second
    order in δ).
    """
    prompts = metrics.normalize_rows(prompts, "prompts")
    direction = unit(direction, prompts.shape[1])
    differences = prompts[1:] - prompts[0]
    if len(differences) == 0:
        return np.zeros_like(direction), direction
    basis, singular, _ = np.linalg.svd(differences.T, full_matrices=False)
    basis = basis[:, singular > singular.max() * 1e-10]
    inside = basis @ (basis.T @ direction)
    return inside, direction - inside


def collapse(x: ArrayLike, y: ArrayLike, reference: tuple[ArrayLike, ArrayLike] | None = None,
             strength: float = 1.0, standardise: bool = False
             ) -> tuple[np.ndarray, np.ndarray]:
    """Remove each modality's mean, then L2-normalise: the "collapse" step of Zhang et al.
    (2024), which is also I0T's post-hoc standardisation and GR-CLIP's calibration as their
    code does it (chapter 6). The means come from ``reference`` (images, texts) when given,
    so the data measured need not be the data that set them; ``strength`` removes that
    fraction of each mean (0: only normalise). ``standardise`` also divides every
    coordinate by its spread within the modality (a z-score) before normalising."""
    if not np.isfinite(strength):
        raise ValueError(f"strength must be a finite number, got {strength}")
    x, y = metrics.unit_rows_in_one_space(x, y)
    fx, fy = (x, y) if reference is None else (
        metrics.normalize_rows(reference[0], "reference images"),
        metrics.normalize_rows(reference[1], "reference texts"))
    if fx.shape[1] != x.shape[1] or fy.shape[1] != x.shape[1]:
        raise ValueError("the reference lives in a different space from x and y")
    out = []
    for a, fit, name in ((x, fx, "x"), (y, fy, "y")):
        a = a - strength * fit.mean(axis=0)
        if standardise:
            spread = fit.std(axis=0)
            if (spread == 0).any():
                raise ValueError(f"a coordinate of the {name} reference never varies: "
                                 "it has no spread to standardise by")
            a = a / spread
        out.append(metrics.normalize_rows(a, f"collapsed {name}"))
    return out[0], out[1]
