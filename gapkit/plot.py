"""Figures in one style for the whole book.

``paired_scatter`` (landing page) draws paired embeddings in 2-D with each pair joined.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from sklearn.decomposition import PCA

from gapkit.metrics import paired

if TYPE_CHECKING:
    from gapkit.metrics import ArrayLike

#: One colour per modality, used in every chapter (colour-blind safe, Okabe–Ito).
MODALITY_COLORS = ("#0072B2", "#D55E00")

STYLE = {
    "figure.figsize": (6.0, 4.5),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "legend.frameon": False,
}


def use_style() -> None:
    """Apply the book's matplotlib style (each chapter calls this once)."""
    mpl.rcParams.update(STYLE)


PROJECTIONS = ("pca", "umap")


def project(points: np.ndarray, projection: str = "pca", seed: int = 0) -> np.ndarray:
    """2-D coordinates of ``points``: PCA (default), or UMAP if umap-learn is installed.

    Introduced in chapter 2 (The cone effect)."""
    if projection == "pca":
        return PCA(n_components=2).fit_transform(points)
    if projection == "umap":
        try:
            import umap
        except ImportError as error:
            raise ImportError("projection='umap' needs umap-learn: pip install umap-learn "
                              "(about 25 s to import the first time)") from error
        return umap.UMAP(n_components=2, random_state=seed).fit_transform(points)
    raise ValueError(f"unknown projection {projection!r}: choose from {PROJECTIONS}")


def paired_scatter(x: ArrayLike, y: ArrayLike, ax: plt.Axes | None = None,
                   names: tuple[str, str] = ("image", "text"), max_lines: int = 200,
                   title: str | None = None, projection: str = "pca") -> plt.Axes:
    """Both modalities projected together to 2-D (first two principal components by default).

    Rows are L2-normalised first; each true pair is joined by a thin grey line
    (at most ``max_lines`` of them, so large sets stay readable).

    Introduced in the landing page.
    """
    x, y = paired(x, y)
    points = project(np.vstack([x, y]), projection)
    px, py = points[: len(x)], points[len(x):]
    ax = ax if ax is not None else plt.figure().add_subplot()
    shown = slice(0, min(max_lines, len(x)))
    segments = np.stack([px[shown], py[shown]], axis=1)
    ax.add_collection(LineCollection(segments, colors="0.6", linewidths=0.4, alpha=0.5))
    for pts, name, color in zip((px, py), names, MODALITY_COLORS, strict=True):
        ax.scatter(pts[:, 0], pts[:, 1], s=12, color=color, label=name, alpha=0.85)
    axis = "principal component" if projection == "pca" else "UMAP"
    ax.set_xlabel(f"{axis} 1")
    ax.set_ylabel(f"{axis} 2")
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    return ax


def sample_grid(images, captions, columns: int = 8, size: float = 1.4) -> plt.Figure:
    """A grid of the world's images, each titled with its caption (wrapped to fit).

    Introduced in the page 'The book's world and its CLIP'."""
    rows = -(-len(images) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * (size + 0.35)),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, caption in zip(axes.flat, images, captions, strict=False):
        ax.imshow(np.asarray(image.permute(1, 2, 0).cpu()), interpolation="nearest")
        words = caption.removeprefix("a ").split()
        ax.set_title(" ".join(words[:3]) + "\n" + " ".join(words[3:]), fontsize=7)
    return fig


def training_history(history: dict[str, list[float]], title: str | None = None) -> plt.Figure:
    """Loss, zero-shot accuracy, gap and temperature against the training step.

    Introduced in the page 'The book's world and its CLIP'."""
    panels = [("loss", "contrastive loss"), ("zero_shot_acc", "zero-shot accuracy"),
              ("gap", "gap ‖Δ‖"), ("temperature", "temperature τ")]
    fig, axes = plt.subplots(2, 2, figsize=(8, 5.5), sharex=True, constrained_layout=True)
    for ax, (key, label) in zip(axes.flat, panels, strict=True):
        ax.plot(history["step"], history[key], marker="o", markersize=3, color="0.2",
                label="held-out images" if key == "zero_shot_acc" else None)
        if key == "zero_shot_acc" and "zero_shot_acc_unseen" in history:
            ax.plot(history["step"], history["zero_shot_acc_unseen"], marker="o",
                    markersize=3, color=MODALITY_COLORS[1], label="unseen combinations")
            ax.legend(fontsize=8)
        ax.set_title(label)
    for ax in axes[1]:
        ax.set_xlabel("step")
    if title:
        fig.suptitle(title)
    return fig


def paired_grid(features: dict[str, tuple], names: dict[str, tuple[str, str]] | None = None,
                columns: int = 4, size: float = 3.2) -> plt.Figure:
    """Small multiples of ``paired_scatter``, one panel per named feature set.

    Introduced in chapter 1 (The gap)."""
    rows = -(-len(features) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size),
                             squeeze=False, constrained_layout=True)
    for ax in axes.flat[len(features):]:
        ax.axis("off")
    for ax, (title, (x, y)) in zip(axes.flat, features.items(), strict=False):
        paired_scatter(x, y, ax=ax, title=title, max_lines=100,
                       names=(names or {}).get(title, ("image", "text")))
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(loc="best", fontsize=7, handletextpad=0.1, markerscale=0.8)
    return fig


def cosine_traces(traces: dict[str, np.ndarray], ax: plt.Axes | None = None,
                  theory: np.ndarray | None = None) -> plt.Axes:
    """Mean pairwise cosine against depth: one line per label (the mean over draws) with a
    band from the lowest to the highest draw; optionally a dashed theory curve.

    Introduced in chapter 2 (The cone effect)."""
    ax = ax if ax is not None else plt.figure(figsize=(7, 4.5)).add_subplot()
    for label, trace in traces.items():
        depth = np.arange(trace.shape[1])
        line, = ax.plot(depth, trace.mean(axis=0), marker="o", markersize=3, label=label)
        ax.fill_between(depth, trace.min(axis=0), trace.max(axis=0), alpha=0.2,
                        color=line.get_color())
    if theory is not None:
        ax.plot(np.arange(len(theory)), theory, "k--", linewidth=1,
                label="ReLU theory (no bias)")
    ax.set_xlabel("number of layers")
    ax.set_ylabel("mean cosine between outputs")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def cosine_histograms(cosines: dict[str, dict[int, np.ndarray]], bins: int = 60) -> plt.Figure:
    """Small multiples: one row per label, one column per depth, each a histogram of the
    pairwise cosines of that layer's outputs (``cosines[label][depth]``).

    Introduced in chapter 2 (The cone effect)."""
    labels = list(cosines)
    depths = list(cosines[labels[0]])
    fig, axes = plt.subplots(len(labels), len(depths), figsize=(2.1 * len(depths),
                             1.5 * len(labels)), sharex=True, squeeze=False,
                             constrained_layout=True)
    for row, label in enumerate(labels):
        for col, depth in enumerate(depths):
            ax = axes[row, col]
            ax.hist(cosines[label][depth], bins=bins, range=(-1, 1), color=MODALITY_COLORS[0])
            ax.set_yticks([])
            ax.grid(False)
            if row == 0:
                ax.set_title(f"layer {depth}" if depth else "inputs")
            if col == 0:
                ax.set_ylabel(label, rotation=0, ha="right", va="center")
    for ax in axes[-1]:
        ax.set_xlabel("cosine")
    return fig


def pairs_frame(x: ArrayLike, y: ArrayLike, pairs: int, title: str,
                names: tuple[str, str] = ("image", "text")) -> plt.Figure:
    """Chapter 1's explorer: the first ``pairs`` pairs of (x, y) drawn by ``paired_scatter``
    (PCA of those pairs), as a figure of its own."""
    n = min(int(pairs), len(x))
    fig = plt.figure(figsize=(4.8, 3.8), constrained_layout=True)
    paired_scatter(x[:n], y[:n], ax=fig.add_subplot(),  # tensors or arrays
                   title=f"{title}: {n} pairs", names=names)
    return fig


def cone_frame(cosines: list[np.ndarray], depth: int, label: str) -> plt.Figure:
    """Chapter 2's explorer: the histogram of the pairwise cosines after ``depth`` layers
    (left) and the mean cosine after every layer with ``depth`` marked (right);
    ``cosines[k]`` holds the pairwise cosines after layer k (0: the inputs)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3), constrained_layout=True)
    chosen = cosines[depth]
    left.hist(chosen, bins=60, range=(-1, 1), color=MODALITY_COLORS[0])
    left.set(xlabel="cosine", yticks=[],
             title=f"after {depth} layer(s): mean {chosen.mean():.2f}")
    means = [c.mean() for c in cosines]
    right.plot(range(len(means)), means, marker="o", markersize=3, color="0.3")
    right.plot(depth, means[depth], "o", color=MODALITY_COLORS[1], markersize=9)
    right.set(xlabel="number of layers", ylabel="mean cosine", ylim=(-0.05, 1.05),
              title=label)
    return fig


def gap_plane(direction: np.ndarray, points: np.ndarray) -> np.ndarray:
    """A (D, 2) projection: the unit gap direction, then the main direction of spread of
    ``points`` orthogonal to it (chapter 5), so a shift along the gap moves sideways."""
    unit = direction / np.linalg.norm(direction)
    rest = points - np.outer(points @ unit, unit)
    spread = PCA(n_components=1).fit(rest).components_[0]
    return np.stack([unit, spread - (spread @ unit) * unit], axis=1)


def shift_frame(deltas: np.ndarray, accuracy: np.ndarray, delta: float, images: np.ndarray,
                prompts: np.ndarray, title: str, chance: float | None = None,
                xlabel: str = "δ (> 0 closes the gap)", measure: str = "accuracy",
                names: tuple[str, str] = ("images", "class prompts"),
                value: str = "δ = {:+.2f}") -> plt.Figure:
    """Chapter 5's explorer (and chapter 6's, with its own labels): a score against δ with
    the chosen δ marked (left), and the moved images and prompts in a fixed 2-D projection
    (right)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.3), constrained_layout=True)
    left.plot(deltas, accuracy, color="0.2")
    at = int(np.argmin(np.abs(np.asarray(deltas) - delta)))
    left.plot(deltas[at], accuracy[at], "o", color=MODALITY_COLORS[1], markersize=8)
    if chance is not None:
        left.axhline(chance, color="0.5", linestyle=":", linewidth=1, label="chance")
        left.legend(loc="lower left", fontsize=8)
    left.set(xlabel=xlabel, ylabel=f"test {measure}",
             title=f"{value.format(delta)}: {measure} {accuracy[at]:.3f}")
    right.scatter(*images.T, s=6, color=MODALITY_COLORS[0], alpha=0.6, label=names[0])
    right.scatter(*prompts.T, s=40, marker="D", color=MODALITY_COLORS[1], edgecolor="k",
                  linewidth=0.4, label=names[1])
    right.set(xticks=[], yticks=[], title=title)
    right.legend(loc="best", fontsize=8)
    return fig


def logo(size: float = 2.0) -> plt.Figure:
    """The book's logo: the unit circle with two narrow cones, one per modality, and the gap
    between them."""
    from matplotlib.patches import Circle, Wedge

    fig = plt.figure(figsize=(size, size))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.add_patch(Circle((0, 0), 1, fill=False, linewidth=3, color="0.35"))
    for centre, color in zip((125, 55), MODALITY_COLORS, strict=True):
        ax.add_patch(Wedge((0, 0), 1, centre - 14, centre + 14, color=color, alpha=0.9))
    ax.annotate("", xy=(0.5, 0.62), xytext=(-0.5, 0.62),
                arrowprops={"arrowstyle": "<->", "linewidth": 2.5, "color": "0.15"})
    ax.set(xlim=(-1.08, 1.08), ylim=(-1.08, 1.08), aspect="equal")
    ax.axis("off")
    return fig


def save_logo(folder: str) -> None:
    """Write ``logo.png`` and ``favicon.png`` into ``folder`` (``make book`` calls this
    for every page's header)."""
    from pathlib import Path

    Path(folder).mkdir(parents=True, exist_ok=True)
    for name, dpi in (("logo.png", 128), ("favicon.png", 32)):
        fig = logo()
        # the whole square canvas, whatever the style: a tight box (the book's) would pad it
        with mpl.rc_context({"savefig.bbox": "standard"}):
            fig.savefig(Path(folder) / name, dpi=dpi, transparent=True)
        plt.close(fig)


if __name__ == "__main__":
    import sys

    save_logo(sys.argv[1])


def sphere(x: np.ndarray, y: np.ndarray, ax=None, title: str | None = None, path=None):
    """Unit-sphere points in 3-D: images (blue), texts (orange), pairs joined; optionally the
    paths the text points took (``path``: steps × N × 3).

    Introduced in chapter 3 (Mismatched initialisation)."""
    if ax is None:
        ax = plt.figure(figsize=(4.5, 4.5)).add_subplot(projection="3d")
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 37), np.linspace(0, np.pi, 19))
    ax.plot_wireframe(np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v),
                      color="0.85", linewidth=0.4)
    for a, b in zip(x, y, strict=True):
        ax.plot(*np.stack([a, b]).T, color="0.4", linewidth=0.8)
    if path is not None:
        for k in range(path.shape[1]):
            ax.plot(*path[:, k].T, color=MODALITY_COLORS[1], linewidth=1, alpha=0.6)
    ax.scatter(*x.T, color=MODALITY_COLORS[0], s=30, label="image", depthshade=False)
    ax.scatter(*y.T, color=MODALITY_COLORS[1], s=30, label="text", depthshade=False)
    ax.set(xlim=(-1, 1), ylim=(-1, 1), zlim=(-1, 1), box_aspect=(1, 1, 1))
    ax.set_axis_off()
    ax.view_init(elev=20, azim=30)  # facing the toy, whose points span azimuths −20° to 80°
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def loss_landscape(deltas: np.ndarray, gaps: np.ndarray, curves: dict[str, np.ndarray],
                   ax: plt.Axes | None = None, title: str | None = None) -> plt.Axes:
    """Chapter 4: losses against the shift δ (bottom axis) and the signed gap that δ leaves
    (top axis, ``gaps`` decreasing in ``deltas``); a dot marks each curve's lowest point and a
    dashed line the unshifted embeddings (δ = 0)."""
    deltas, gaps = np.asarray(deltas, float), np.asarray(gaps, float)
    if ax is None:
        ax = plt.figure(figsize=(6, 4), constrained_layout=True).add_subplot()
    for (label, values), style in zip(curves.items(), ("-", "--", ":", "-."), strict=False):
        (line,) = ax.plot(deltas, values, linestyle=style, label=label)
        best = int(np.argmin(values))
        ax.plot(deltas[best], values[best], "o", color=line.get_color(), markersize=6)
    ax.axvline(0, color="k", linestyle="--", linewidth=0.8)
    order = np.argsort(gaps)
    top = ax.secondary_xaxis("top", functions=(
        lambda d: np.interp(d, deltas, gaps),
        lambda g: np.interp(g, gaps[order], deltas[order])))
    top.set_xlabel("signed gap after the shift", fontsize=9)
    ax.set_xlabel("shift δ")
    if title:
        ax.set_title(title, fontsize=10)
    return ax
