"""Interactive controls for a live kernel (JupyterLab, Colab, Binder).

A static page cannot recompute, so every chapter that offers one of these also draws its
static form (small multiples) beside it. Chapter 1: ``feature_explorer``. Chapters 3 to 5
use kernel-free explorers instead (``gapkit.explorer``).
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


def cone_explorer() -> widgets.Widget:
    """Depth, activation, bias and width of a random MLP; see its outputs' cosines."""
    from gapkit import cone

    def show(activation: str, bias: bool, width: int, depth: int):
        outputs = cone.layer_outputs(activation, bias, depth, width, n=300)
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
        cosines = cone.pairwise_cosines(outputs[-1])
        left.hist(cosines, bins=60, range=(-1, 1), color=plot.MODALITY_COLORS[0])
        left.set_title(f"cosines after {depth} layer(s): mean {cosines.mean():.2f}")
        trace = cone.cosine_trace(activation, bias, depth, width, n=300, draws=1)
        plot.cosine_traces({f"{activation}, {'bias' if bias else 'no bias'}": trace},
                           ax=right)
        plt.show(fig)

    return widgets.interactive(
        show,
        activation=widgets.Dropdown(options=list(cone.ACTIVATIONS), value="relu",
                                    description="activation"),
        bias=widgets.Checkbox(value=True, description="bias"),
        width=widgets.IntSlider(value=512, min=16, max=1024, step=16, description="width",
                                continuous_update=False),
        depth=widgets.IntSlider(value=5, min=0, max=25, description="depth",
                                continuous_update=False),
    )
