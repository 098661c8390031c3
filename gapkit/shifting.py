"""Shifting the gap after training, and choosing by how much without fooling oneself
(chapter 5).

``ShiftedCosines`` gives every cosine after ``geometry.shift`` for any δ from three
products computed once, so a fine grid of δ costs little. ``best_delta`` picks δ from a
curve of scores; ``held_out_split`` fits Δ̂ and δ on one part of the pairs and scores
another, beside the paper's choice made on the scored part itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gapkit import geometry, metrics

if TYPE_CHECKING:
    from gapkit.metrics import ArrayLike


class ShiftedCosines:
    """cos(x'_i, y'_j) for x', y' = ``geometry.shift(x, y, δ, direction=u, move=...)``
    (chapter 5).

    With x' ∝ x − a·u and y' ∝ y + c·u (unit rows, unit u):
    x'·y' = (x·y + c x·u − a u·y − ac) / (‖x − a u‖ ‖y + c u‖), where
    ‖x − a u‖² = 1 − 2a x·u + a² and ‖y + c u‖² = 1 + 2c y·u + c².
    Holds the N×M matrix x·yᵀ: for sets whose cosines fit in memory.
    """

    def __init__(self, x: ArrayLike, y: ArrayLike, direction: ArrayLike):
        x, y = metrics.unit_rows_in_one_space(x, y)  # as geometry.shift reads them
        unit = geometry.unit(direction, x.shape[1])
        self.cosines, self.along_x, self.along_y = x @ y.T, x @ unit, y @ unit

    def __call__(self, delta: float, move: str = "both") -> np.ndarray:
        if move not in geometry.MOVES:
            raise ValueError(f"unknown move {move!r}: choose from {geometry.MOVES}")
        a, c = (0.5 * delta, 0.5 * delta) if move == "both" else (delta, 0.0)
        top = (self.cosines + c * self.along_x[:, None] - a * self.along_y[None, :] - a * c)
        norm_x = np.sqrt(1 - 2 * a * self.along_x + a * a)
        norm_y = np.sqrt(1 + 2 * c * self.along_y + c * c)
        return top / norm_x[:, None] / norm_y[None, :]


def best_delta(deltas: ArrayLike, scores: ArrayLike) -> float:
    """The δ of the highest score; among equal scores the smallest shift (least ``abs(δ)``).

    Introduced in chapter 5 (Shifting the gap)."""
    deltas, scores = np.asarray(deltas, dtype=np.float64), np.asarray(scores)
    if deltas.shape != scores.shape or deltas.ndim != 1 or len(deltas) == 0:
        raise ValueError("deltas and scores must be two 1-D arrays of the same length")
    tied = np.flatnonzero(scores == scores.max())
    return float(deltas[tied[np.argmin(np.abs(deltas[tied]))]])


def retrieval_curves(x: ArrayLike, y: ArrayLike, deltas: ArrayLike, direction: ArrayLike,
                     move: str = "both") -> np.ndarray:
    """Recall@1 of paired (x, y) after each shift: shape (len(deltas), 2), columns
    x → y and y → x.

    Introduced in chapter 5 (Shifting the gap)."""
    cosines = ShiftedCosines(x, y, direction)
    return np.array([[metrics.top1_of_cosines(c).mean(), metrics.top1_of_cosines(c.T).mean()]
                     for c in (cosines(delta, move) for delta in deltas)])


@dataclass(frozen=True)
class SplitResult:
    """One split's recall@1 on its test part (columns x → y, y → x), at δ = 0, at δ
    chosen on the fit part, and at δ chosen on the test part itself (optimistic); chapter 5."""

    baseline: np.ndarray
    held_out: np.ndarray
    optimistic: np.ndarray
    delta_held_out: np.ndarray
    delta_optimistic: np.ndarray


def held_out_split(x: ArrayLike, y: ArrayLike, fit: np.ndarray, test: np.ndarray,
                   deltas: ArrayLike, move: str = "both") -> SplitResult:
    """Fit Δ̂ and δ on the pairs ``fit`` and score the pairs ``test``; beside it, the
    paper's procedure, Δ̂ and δ both taken from ``test``. The held-out choice reads no row
    of ``test``.

    Introduced in chapter 5 (Shifting the gap)."""
    x, y = metrics.paired(x, y)
    fit, test = np.asarray(fit), np.asarray(test)
    if np.intersect1d(fit, test).size:
        raise ValueError("fit and test share pairs: a held-out choice needs disjoint parts")
    deltas = np.asarray(deltas, dtype=np.float64)
    fit_direction = geometry.gap_direction(x[fit], y[fit])
    on_fit = retrieval_curves(x[fit], y[fit], deltas, fit_direction, move)
    chosen = np.array([best_delta(deltas, column) for column in on_fit.T])
    # one pass over the test pairs with the fitted Δ̂: δ = 0, then each direction's choice
    scored = retrieval_curves(x[test], y[test], [0.0, *chosen], fit_direction, move)
    zero, held_out = scored[0], np.array([scored[1 + k, k] for k in range(len(chosen))])
    on_test = retrieval_curves(x[test], y[test], deltas,
                               geometry.gap_direction(x[test], y[test]), move)
    return SplitResult(zero, held_out, on_test.max(axis=0), chosen,
                       np.array([best_delta(deltas, column) for column in on_test.T]))


def halves(n: int, splits: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``splits`` random splits of ``range(n)`` into two halves (fit, test), seeded.

    Introduced in chapter 1 (The gap)."""
    if n < 4 or splits < 1:
        raise ValueError(f"need at least 4 items and 1 split, got {n} and {splits}")
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(n) for _ in range(splits)]
    return [(np.sort(order[: n // 2]), np.sort(order[n // 2:])) for order in orders]


def zero_shot_correct(images: ArrayLike, prompts: ArrayLike, labels: ArrayLike,
                      deltas: ArrayLike, direction: ArrayLike,
                      move: str = "both") -> np.ndarray:
    """Whether each image's zero-shot prediction is right after each shift (chapter 5): a boolean
    array of shape (len(deltas), number of images)."""
    cosines = ShiftedCosines(images, prompts, direction)
    labels = np.asarray(labels)
    return np.array([cosines(delta, move).argmax(axis=1) == labels for delta in deltas])


@dataclass(frozen=True)
class ZeroShotChoice:
    """Test accuracy of zero-shot classification at δ = 0, at δ chosen on validation
    images (held out), and at δ chosen on the test images themselves (optimistic), with
    paired-bootstrap 95% intervals of each change; ``curve`` is test accuracy per δ
    (chapter 5)."""

    default: float
    held_out: float
    optimistic: float
    delta_held_out: float
    delta_optimistic: float
    interval_held_out: tuple[float, float]
    interval_optimistic: tuple[float, float]
    curve: np.ndarray


def choose_zero_shot(prompts: ArrayLike, direction: ArrayLike, validation: tuple,
                     test: tuple, deltas: ArrayLike, move: str = "both",
                     seed: int = 0) -> ZeroShotChoice:
    """Pick δ for zero-shot classification on ``validation = (images, labels)`` and report
    it on ``test = (images, labels)``, beside the δ the test set itself would pick (the
    paper's Table 1 procedure). Δ̂ (``direction``) is fitted elsewhere.

    Introduced in chapter 5 (Shifting the gap)."""
    deltas = np.asarray(deltas, dtype=np.float64)
    if not (deltas == 0).any():
        raise ValueError("deltas must include 0, the unshifted model")
    on_validation = zero_shot_correct(validation[0], prompts, validation[1], deltas,
                                      direction, move).mean(axis=1)
    correct = zero_shot_correct(test[0], prompts, test[1], deltas, direction, move)
    curve = correct.mean(axis=1)
    picked = best_delta(deltas, on_validation), best_delta(deltas, curve)
    default = correct[np.flatnonzero(deltas == 0)[0]]
    rows = [correct[np.flatnonzero(deltas == delta)[0]] for delta in picked]
    intervals = [metrics.paired_difference(default, row, seed=seed)[1:] for row in rows]
    return ZeroShotChoice(float(default.mean()), float(rows[0].mean()), float(rows[1].mean()),
                          *picked, *intervals, curve)
