import matplotlib.pyplot as plt
import numpy as np

from gapkit import widgets


def test_feature_explorer_offers_every_set_and_redraws():
    rng = np.random.default_rng(0)
    sets = {"small": (rng.normal(size=(30, 4)), rng.normal(size=(30, 4))),
            "large": (rng.normal(size=(90, 4)), rng.normal(size=(90, 4)))}
    explorer = widgets.feature_explorer(sets)
    model, projection, pairs = explorer.children[:3]
    assert list(model.options) == ["small", "large"]
    assert pairs.max == 90 and projection.value == "pca"
    plt.close("all")
    model.value = "large"  # a change draws the chosen set again
    figure = plt.figure(plt.get_fignums()[-1])
    assert figure.axes[0].get_title() == "large"
    scatter = figure.axes[0].collections[1]
    assert len(scatter.get_offsets()) == pairs.value
    plt.close("all")
