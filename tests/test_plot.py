import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection

from gapkit import plot


def test_paired_scatter_draws_both_modalities_and_the_pairs():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 8)), rng.normal(size=(50, 8)) + 2
    ax = plot.paired_scatter(x, y, max_lines=30, names=("video", "caption"))
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert [len(s.get_offsets()) for s in scatters] == [50, 50]
    assert len(lines) == 1 and len(lines[0].get_segments()) == 30
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["video", "caption"]
    plt.close("all")


def test_paired_scatter_rejects_unpaired_input():
    with pytest.raises(ValueError, match="do not pair"):
        plot.paired_scatter(np.ones((3, 4)), np.ones((5, 4)))


def test_use_style_sets_the_book_style():
    with mpl.rc_context():
        plot.use_style()
        assert mpl.rcParams["axes.spines.top"] is False
        assert mpl.rcParams["savefig.dpi"] == plot.STYLE["savefig.dpi"]


def test_sample_grid_shows_each_image_with_its_caption():
    from gapkit.data import World

    batch = World().sample(10, seed=0)
    fig = plot.sample_grid(batch.images, batch.captions, columns=4)
    axes = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 12 and len(axes) == 10
    assert axes[0].get_title().replace("\n", " ") == batch.captions[0].removeprefix("a ")
    plt.close(fig)


def test_training_history_has_one_panel_per_quantity():
    history = {"step": [0, 10], "loss": [5.0, 2.0], "zero_shot_acc": [0.0, 0.5],
               "zero_shot_acc_unseen": [0.0, 0.2], "gap": [1.2, 0.4],
               "temperature": [0.07, 0.05]}
    fig = plot.training_history(history)
    assert [ax.get_title() for ax in fig.axes] == ["contrastive loss", "zero-shot accuracy",
                                                    "gap ‖Δ‖", "temperature τ"]
    assert len(fig.axes[1].lines) == 2
    plt.close(fig)


def test_paired_grid_has_a_panel_per_set_and_blank_spares():
    rng = np.random.default_rng(0)
    sets = {name: (rng.normal(size=(20, 5)), rng.normal(size=(20, 5)) + 1)
            for name in ("a", "b", "c")}
    fig = plot.paired_grid(sets, {"b": ("video", "caption")}, columns=2)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["a", "b", "c"] and len(fig.axes) == 4
    assert [t.get_text() for t in fig.axes[1].get_legend().get_texts()] == ["video", "caption"]
    plt.close(fig)


def test_projections():
    points = np.random.default_rng(0).normal(size=(30, 6))
    assert plot.project(points).shape == (30, 2)
    with pytest.raises(ValueError, match="unknown projection 'tsne'"):
        plot.project(points, "tsne")


def test_cosine_traces_and_histograms():
    traces = {"a": np.array([[0.0, 0.3, 0.5], [0.0, 0.35, 0.55]])}
    ax = plot.cosine_traces(traces, theory=np.array([0.0, 0.32, 0.5]))
    assert len(ax.lines) == 2 and len(ax.collections) == 1  # mean line, theory, band
    plt.close("all")
    fig = plot.cosine_histograms({"relu": {0: np.zeros(10), 5: np.ones(10)},
                                  "tanh": {0: np.zeros(10), 5: np.ones(10)}})
    assert len(fig.axes) == 4 and fig.axes[1].get_title() == "layer 5"
    plt.close(fig)


def test_sphere_draws_points_pairs_and_paths():
    from gapkit import geometry

    x, y = geometry.sphere_toy(0.3)
    ax = plot.sphere(x, y, path=np.stack([y, y]), title="toy")
    # wireframe, 6 pair lines, 6 paths; two scatters
    assert len(ax.lines) == 12 and ax.get_title() == "toy"
    plt.close("all")


def test_loss_landscape_has_a_delta_axis_a_gap_axis_and_marks_each_minimum():
    deltas = np.linspace(-2, 2, 41)
    gaps = 0.8 - 0.5 * deltas
    curves = {"a": (deltas - 0.5) ** 2, "b": (deltas + 1) ** 2}
    ax = plot.loss_landscape(deltas, gaps, curves, title="τ = 1/100")
    assert ax.get_xlabel() == "shift δ" and ax.get_title() == "τ = 1/100"
    top = ax.child_axes[0]
    assert top.get_xlabel() == "signed gap after the shift"
    dots = [line for line in ax.lines if line.get_marker() == "o"]
    assert [float(d.get_xdata()[0]) for d in dots] == pytest.approx([0.5, -1.0])
    plt.close("all")
