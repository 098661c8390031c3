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


def test_cone_explorer_redraws_for_the_chosen_depth():
    explorer = widgets.cone_explorer()
    activation, bias, width, depth = explorer.children[:4]
    plt.close("all")
    width.value = 64
    depth.value = 3
    figure = plt.figure(plt.get_fignums()[-1])
    assert "after 3 layer(s)" in figure.axes[0].get_title()
    assert len(figure.axes[1].lines[0].get_xdata()) == 4
    plt.close("all")
