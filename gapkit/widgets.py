"""Interactive controls for a live kernel (JupyterLab, Colab, Binder).

A static page cannot recompute, so every chapter that offers one of these also draws its
static form (small multiples) beside it. Chapters 1, 2 and 5 use ``gapkit.explorer``
instead, which works without a kernel. Chapter 3: ``sphere_explorer``.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from gapkit import plot


def sphere_explorer() -> widgets.Widget:
    """Chapter 3's toy: raise the text points by Δθ, swap two pairs or not, pick the
    temperature; see the sphere and the loss."""
    from gapkit import geometry, metrics

    def show(delta_degrees: int, mismatch: bool, logit_scale: int):
        x, y = geometry.sphere_toy(np.radians(delta_degrees), mismatch)
        loss = metrics.clip_loss(x, y, 1 / logit_scale)
        ax = plot.sphere(x, y, title=f"Δθ = {delta_degrees}°, loss {loss:.3f} "
                                     f"at scale {logit_scale}")
        plt.show(ax.figure)

    return widgets.interactive(
        show,
        delta_degrees=widgets.IntSlider(value=20, min=-89, max=89, description="Δθ (°)",
                                        continuous_update=False),
        mismatch=widgets.Checkbox(value=True, description="swap pairs 0 and 1"),
        logit_scale=widgets.Dropdown(options=[1, 5, 35, 50, 100], value=50,
                                     description="1/τ"),
    )


def landscape_explorer(x: np.ndarray, y: np.ndarray) -> widgets.Widget:
    """Chapter 4: the CLIP loss of (x, y) shifted along the gap, at a chosen temperature."""
    from gapkit import geometry, metrics

    deltas = np.linspace(-3, 3, 61)
    unit = metrics.gap_vector(x, y) / metrics.centroid_distance(x, y)

    def show(inverse_temperature: int):
        gaps, losses = [], []
        for delta in deltas:
            sx, sy = geometry.shift(x, y, delta)
            gaps.append((sx.mean(axis=0) - sy.mean(axis=0)) @ unit)
            losses.append(metrics.clip_loss(sx, sy, 1 / inverse_temperature))
        ax = plt.figure(figsize=(6, 4)).add_subplot()
        ax.plot(gaps, losses, marker="o", markersize=3)
        ax.axvline(metrics.centroid_distance(x, y), color="k", linestyle="--", linewidth=1)
        ax.set(xlabel="gap after the shift (signed)", ylabel="CLIP loss",
               title=f"τ = 1/{inverse_temperature}")
        plt.show(ax.figure)

    return widgets.interactive(
        show, inverse_temperature=widgets.SelectionSlider(
            options=[1, 2, 5, 10, 20, 30, 50, 100], value=100, description="1/τ",
            continuous_update=False))
