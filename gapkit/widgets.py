"""Interactive controls for a live kernel (JupyterLab, Colab, Binder).

A static page cannot recompute, so every chapter that offers one of these also draws its
static form (small multiples) beside it. Chapter 1: ``feature_explorer``.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from gapkit import plot


def feature_explorer(features: dict[str, tuple[np.ndarray, np.ndarray]],
                     names: dict[str, tuple[str, str]] | None = None) -> widgets.Widget:
    """Pick a feature set, a projection and a number of pairs; see the paired scatter."""
    largest = max(len(x) for x, _ in features.values())

    def show(model: str, projection: str, pairs: int):
        x, y = features[model]
        n = min(pairs, len(x))
        ax = plot.paired_scatter(x[:n], y[:n], projection=projection, title=model,
                                 names=(names or {}).get(model, ("image", "text")))
        plt.show(ax.figure)

    return widgets.interactive(
        show,
        model=widgets.Dropdown(options=list(features), description="model"),
        projection=widgets.ToggleButtons(options=list(plot.PROJECTIONS), value="pca",
                                         description="projection"),
        pairs=widgets.IntSlider(value=min(200, largest), min=10, max=largest, step=10,
                                description="pairs", continuous_update=False),
    )
