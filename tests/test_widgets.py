import matplotlib.pyplot as plt
import numpy as np

from gapkit import widgets


def test_sphere_explorer_reports_the_loss_of_the_chosen_configuration():
    from gapkit import geometry, metrics

    explorer = widgets.sphere_explorer()
    delta, mismatch, scale = explorer.children[:3]
    plt.close("all")
    delta.value = 40
    title = plt.figure(plt.get_fignums()[-1]).axes[0].get_title()
    loss = metrics.clip_loss(*geometry.sphere_toy(np.radians(40), True), 1 / 50)
    assert title == f"Δθ = 40°, loss {loss:.3f} at scale 50"
    plt.close("all")


def test_landscape_explorer_draws_one_curve_per_temperature():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 5)) + 1, rng.normal(size=(60, 5)) - 1
    explorer = widgets.landscape_explorer(x, y)
    plt.close("all")
    explorer.children[0].value = 10
    ax = plt.figure(plt.get_fignums()[-1]).axes[0]
    assert ax.get_title() == "τ = 1/10" and len(ax.lines[0].get_xdata()) == 61
    plt.close("all")
