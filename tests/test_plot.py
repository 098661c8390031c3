import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
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
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("principal component 1",
                                                  "principal component 2")
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
    assert [len(ax.lines) for ax in fig.axes] == [1, 2, 1, 1]  # unseen: accuracy's panel
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert legend == ["held-out images", "unseen combinations"]
    plt.close(fig)
    del history["zero_shot_acc_unseen"]
    fig = plot.training_history(history)
    assert [len(ax.lines) for ax in fig.axes] == [1, 1, 1, 1]
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
    from gapkit import toys

    x, y = toys.sphere_toy(0.3)
    ax = plot.sphere(x, y, path=np.stack([y, y]), title="toy")
    # wireframe, 6 pair lines, 6 paths; two scatters
    assert len(ax.lines) == 12 and ax.get_title() == "toy"
    plt.close("all")


def test_pairs_frame_shows_the_chosen_number_of_pairs():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(80, 6)), rng.normal(size=(80, 6)) + 1
    for pairs, shown in ((20, 20), (500, 80)):
        fig = plot.pairs_frame(x, y, pairs, "set", names=("X-ray", "report"))
        ax = fig.axes[0]
        scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert [len(s.get_offsets()) for s in scatters] == [shown, shown]
        assert ax.get_title() == f"set: {shown} pairs"
        assert ax.get_legend().get_texts()[0].get_text() == "X-ray"
        plt.close(fig)
    fig = plot.pairs_frame(torch.tensor(x), torch.tensor(y), 20, "tensors")
    assert fig.axes[0].get_title() == "tensors: 20 pairs"  # tensors as well as arrays
    plt.close(fig)


def test_cone_frame_shows_the_chosen_layer_and_marks_it():
    cosines = [np.full(10, 0.1 * k) for k in range(4)]
    fig = plot.cone_frame(cosines, 2, "relu")
    left, right = fig.axes
    assert left.get_title() == "after 2 layer(s): mean 0.20"
    trace, marker = right.lines
    assert np.allclose(trace.get_ydata(), [0, 0.1, 0.2, 0.3])
    assert list(marker.get_xdata()) == [2] and np.isclose(marker.get_ydata()[0], 0.2)
    assert right.get_title() == "relu"
    plt.close(fig)


# Colour-vision deficiency simulated with the matrices of Machado, Oliveira and Fernandes
# (2009) at full severity, applied in linear RGB; distance is CIE76 ΔE in CIELAB.
CVD = {"protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                      [-0.003882, -0.048116, 1.051998]],
       "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                        [-0.011820, 0.042940, 0.968881]],
       "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                      [0.004733, 0.691367, 0.303900]],
       "typical": np.eye(3)}


def seen_in_lab(color: str, vision: str) -> np.ndarray:
    srgb = np.array(mpl.colors.to_rgb(color))
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    linear = np.clip(np.asarray(CVD[vision]) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear / [0.95047, 1.0, 1.08883]
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def colour_distance(a: str, b: str, vision: str) -> float:
    return float(np.linalg.norm(seen_in_lab(a, vision) - seen_in_lab(b, vision)))


@pytest.mark.parametrize("vision", list(CVD))
def test_modality_colours_stay_apart_with_colour_vision_deficiency(vision):
    image, text = plot.MODALITY_COLORS
    assert colour_distance(image, text, vision) > 40  # far apart, not merely different
    # the check can fail: a red and a green that a deuteranope confuses
    if vision == "deuteranopia":
        assert colour_distance("#E41A1C", "#4DAF4A", vision) < 25 < colour_distance(
            "#E41A1C", "#4DAF4A", "typical")


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


def test_gap_plane_is_the_gap_then_the_widest_spread_across_it():
    rng = np.random.default_rng(0)
    # the widest spread lies along the gap (axis 0), which the plane must set aside
    points = rng.normal(size=(200, 3)) * [5.0, 3.0, 0.1]
    view = plot.gap_plane(np.array([2.0, 0.0, 0.0]), points)
    np.testing.assert_allclose(view.T @ view, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(view[:, 0], [1, 0, 0])
    np.testing.assert_allclose(np.abs(view[:, 1]), [0, 1, 0], atol=0.01)
    tilted = plot.gap_plane(np.array([1.0, 1.0, 0.0]), points)  # a gap not along an axis
    np.testing.assert_allclose(tilted.T @ tilted, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(tilted[:, 0], np.array([1, 1, 0]) / 2 ** 0.5)


def test_shift_frame_marks_the_chosen_delta_and_draws_both_modalities():
    deltas = np.linspace(-1, 1, 21)
    accuracy = 0.5 + 0.2 * deltas
    rng = np.random.default_rng(0)
    images, prompts = rng.normal(size=(30, 2)), rng.normal(size=(4, 2))
    fig = plot.shift_frame(deltas, accuracy, 0.33, images, prompts, "moved", chance=0.25)
    left, right = fig.axes
    curve, marker, chance = left.lines
    assert float(marker.get_xdata()[0]) == pytest.approx(0.3)  # the nearest δ drawn
    assert left.get_title() == "δ = +0.33: accuracy 0.560"
    assert list(chance.get_ydata()) == [0.25, 0.25]
    assert [len(c.get_offsets()) for c in right.collections] == [30, 4]
    assert right.get_title() == "moved"
    plt.close(fig)
    fig = plot.shift_frame(deltas, accuracy, 0.0, images, prompts, "t", measure="recall")
    assert len(fig.axes[0].lines) == 2 and fig.axes[0].get_legend() is None
    assert fig.axes[0].get_ylabel() == "test recall"
    plt.close(fig)


def test_the_logo_is_a_circle_and_two_cones_saved_at_two_sizes(tmp_path):
    from matplotlib.patches import Circle, Wedge
    from PIL import Image

    fig = plot.logo()
    kinds = [type(p) for p in fig.axes[0].patches]
    assert kinds == [Circle, Wedge, Wedge]
    plt.close(fig)
    with mpl.rc_context():
        plot.use_style()  # as in a chapter's kernel: the book's tight bounding box
        plot.save_logo(str(tmp_path / "static"))
    sizes = {p.name: Image.open(p).size for p in (tmp_path / "static").iterdir()}
    assert sizes == {"logo.png": (256, 256), "favicon.png": (64, 64)}
