import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gapkit import cone, metrics


def test_relu_layers_close_the_cone_and_linear_ones_do_not():
    relu = cone.cosine_trace("relu", depth=12, width=256, n=200, draws=2).mean(axis=0)
    linear = cone.cosine_trace("linear", depth=12, width=256, n=200, draws=2).mean(axis=0)
    assert abs(relu[0]) < 0.02 and relu[1] == pytest.approx(1 / np.pi, abs=0.03)
    assert np.all(np.diff(relu) > 0) and relu[-1] > 0.95
    # a linear network keeps independent inputs independent: cosine near 0 at every depth
    assert np.all(np.abs(linear) < 0.1)


def test_first_relu_layer_matches_the_closed_form():
    outputs = cone.layer_outputs("relu", bias=False, depth=1, width=2048, n=300)
    measured = cone.pairwise_cosines(outputs[1]).mean()
    assert measured == pytest.approx(float(cone.relu_cosine_map(0.0)), abs=0.01)


@settings(max_examples=50, deadline=None)
@given(st.floats(-0.99, 0.99))
def test_relu_map_raises_every_cosine_below_one(rho):
    assert cone.relu_cosine_map(rho) > rho
    assert cone.relu_cosine_map(1.0) == pytest.approx(1.0)
    assert cone.relu_cosine_map(0.0) == pytest.approx(1 / np.pi)


def test_traces_are_seeded():
    a = cone.cosine_trace("tanh", depth=3, width=32, n=20, draws=2, seed=4)
    assert a.shape == (2, 4)
    np.testing.assert_array_equal(a, cone.cosine_trace("tanh", depth=3, width=32, n=20,
                                                       draws=2, seed=4))
    assert not np.array_equal(a[0], a[1])


def test_pairwise_cosines_counts_each_pair_once():
    h = torch.eye(4)
    values = cone.pairwise_cosines(h)
    assert values.shape == (6,) and np.allclose(values, 0)


def test_layer_cosines_are_the_pairwise_cosines_of_each_layer():
    values = cone.layer_cosines("relu", bias=False, depth=3, width=32, n=10)
    outputs = cone.layer_outputs("relu", False, 3, 32, 10)
    assert len(values) == 4 and all(v.shape == (45,) for v in values)
    for v, h in zip(values, outputs, strict=True):
        np.testing.assert_allclose(v, cone.pairwise_cosines(h), atol=1e-6)
    assert values[3].mean() > values[0].mean() + 0.3  # the cone closes


def test_theorem1_shares_tend_to_raised_and_fail_outside_its_condition():
    small, large = (cone.theorem1_shares(d, 0.5, trials=1000)["raised"] for d in (8, 256))
    assert small < large and large > 0.99
    assert cone.theorem1_condition(3.0) == pytest.approx(0.6)
    assert cone.theorem1_condition(1.0) == 1.0
    # cosine 0.9 > 0.6 with r = 3: the layer now lowers the cosine, more surely when wide
    outside = cone.theorem1_shares(256, 0.9, r=3.0, trials=1000)
    assert outside["raised"] < 0.05 and outside["lowered"] > 0.95
    at_one = cone.theorem1_shares(4, 1.0)  # no cosine exceeds 1
    assert at_one["raised"] == 0.0
    at_minus_one = cone.theorem1_shares(4, -1.0)  # no cosine falls below -1
    assert at_minus_one["raised"] == 1 - at_minus_one["undefined"] < 1
    assert at_minus_one["lowered"] == 0.0


@pytest.mark.parametrize("cosine", [-0.5, 0.0, 0.5, 0.9])
@pytest.mark.parametrize("r", [1.0, 3.0])
def test_theorem1_shares_count_an_all_zero_output_as_undefined_not_raised(cosine, r):
    # A ReLU output is all zero when every unit is off; with d_out units and inputs u and v,
    # P[either output all zero] = 2·2^-d − P[both off everywhere]. At d = 1 that is
    # 1 − P[both fire] = 3/4 − asin(ρ)/(2π), ρ the correlation of w·u + b and w·v + b.
    shares = cone.theorem1_shares(1, cosine, r=r, trials=20000)
    rho = (r * cosine + 1) / math.sqrt((r * r + 1) * 2)
    assert shares["undefined"] == pytest.approx(3 / 4 - math.asin(rho) / (2 * math.pi),
                                                abs=0.01)
    assert shares["lowered"] == 0.0  # two live scalars have cosine 1
    assert shares["raised"] + shares["undefined"] == pytest.approx(1.0)
    wide = cone.theorem1_shares(2, cosine, r=r, trials=2000)
    assert sum(wide.values()) <= 1.0 + 1e-12


@pytest.mark.parametrize("cosine", [0.0, 0.5])
def test_theorem1_raised_share_of_one_unit_is_the_chance_that_both_inputs_fire(cosine):
    # One unit maps u and v to two scalars, of cosine 1 when both fire and 0 otherwise, so
    # for 0 <= cos(u, v) < 1 the probability is P[w·u + b > 0, w·v + b > 0]: two normals of
    # correlation (1 + cos) / 2, both positive with probability 1/4 + asin(that) / (2π).
    both_fire = 1 / 4 + math.asin((1 + cosine) / 2) / (2 * math.pi)
    assert cone.theorem1_shares(1, cosine, trials=20000)["raised"] == pytest.approx(
        both_fire, abs=0.01)


def test_relu_map_is_the_mean_product_of_two_relu_units():
    w = np.random.default_rng(0).normal(size=(400_000, 2))  # one unit's weights, many draws
    for rho in (-0.5, 0.5, 0.9):
        a = np.maximum(w @ [1.0, 0.0], 0)
        b = np.maximum(w @ [rho, math.sqrt(1 - rho**2)], 0)
        assert cone.relu_cosine_map(rho) == pytest.approx((a * b).mean() / (a * a).mean(),
                                                          abs=0.005)


arrays = st.tuples(st.integers(2, 6), st.integers(2, 6), st.integers(1, 4)).flatmap(
    lambda shape: st.lists(st.floats(-10, 10), min_size=math.prod(shape),
                           max_size=math.prod(shape)).map(
        lambda values: np.array(values).reshape(shape)))


@settings(max_examples=100, deadline=None)
@given(arrays, st.floats(0.1, 10), st.floats(-5, 5))
def test_variance_shares_add_up_and_ignore_shift_and_scale(h, scale, shift):
    parts = cone.variance_shares(h)
    assert parts["data"] >= 0
    assert parts["data"] + parts["init"] == pytest.approx(parts["total"])
    moved = cone.variance_shares(scale * h + shift)
    for key in ("data", "init", "total"):
        assert moved[key] == pytest.approx(scale**2 * parts[key], rel=1e-6, abs=1e-9)


def test_variance_shares_of_the_two_extremes():
    rng = np.random.default_rng(0)
    # the output depends only on the network: all of the variance is due to initialisation
    per_network = np.repeat(rng.normal(size=(50, 1, 8)), 10, axis=1)
    assert cone.variance_shares(per_network)["init_share"] == pytest.approx(1.0)
    # the output depends only on the input: none of it is (up to sampling noise)
    per_input = rng.normal(size=(200, 20, 8))
    assert abs(cone.variance_shares(per_input)["init_share"]) < 0.02
    # half and half: network offset and input noise of equal variance
    both = rng.normal(size=(400, 1, 16)) + rng.normal(size=(400, 30, 16))
    assert cone.variance_shares(both)["init_share"] == pytest.approx(0.5, abs=0.03)
    # a tensor (on any device, with or without a gradient) reads as its values
    tensor = torch.tensor(both, requires_grad=True)
    assert cone.variance_shares(tensor) == cone.variance_shares(both)


def test_theorem2_share_matches_its_closed_form_and_exceeds_beta():
    for bias in (True, False):
        trace = cone.theorem2_trace("relu", bias, depth=4, width=64, inits=200, n=32)
        assert np.allclose(trace["share"], trace["predicted"], atol=0.03)
        assert np.all(trace["share"] >= trace["beta"] - 0.03)
        assert np.all(np.diff(trace["share"]) > 0)
    # without bias the bound is an equality; independent unit inputs start with beta = 0
    assert trace["beta"][0] == pytest.approx(0, abs=0.02)
    assert trace["beta"][1] == pytest.approx(1 / np.pi, abs=0.05)


def test_theorem2_beta_and_prediction_replayed_pair_by_pair():
    # The trace's own draws, replayed: beta is the mean dot product of distinct outputs of
    # one network over their mean squared norm, and the prediction puts the weights'
    # and bias's variances around both (the docstring's formula).
    inits, n, width, var = 3, 4, 5, 1 / 5
    trace = cone.theorem2_trace("relu", True, depth=2, width=width, inits=inits, n=n,
                                seed=7)
    generator = torch.Generator().manual_seed(7)
    g = torch.randn(inits, n, width, generator=generator, dtype=torch.float64)
    g = g / g.norm(dim=-1, keepdim=True)
    for layer in range(2):
        dots = torch.einsum("mik,mjk->mij", g, g)
        cross = float(dots[:, ~torch.eye(n, dtype=torch.bool)].mean())
        norm2 = float(dots.diagonal(dim1=1, dim2=2).mean())
        assert trace["beta"][layer] == pytest.approx(cross / norm2, rel=1e-9)
        assert trace["predicted"][layer] == pytest.approx(
            (var * cross + var) / (var * norm2 + var), rel=1e-9)
        weight, shift = (math.sqrt(var) * torch.randn(
            inits, *shape, generator=generator, dtype=torch.float64)
            for shape in ((width, width), (1, width)))
        g = torch.relu(g @ weight.transpose(1, 2) + shift)


def test_theorem2_linear_layers_keep_beta_at_zero():
    trace = cone.theorem2_trace("linear", bias=False, depth=3, width=64, inits=100, n=32)
    assert np.all(np.abs(trace["beta"]) < 0.02) and np.all(np.abs(trace["share"]) < 0.05)


def test_random_resnet18_is_a_cone_of_non_negative_features():
    from gapkit import data, metrics, runtime

    noise = data.noise_images(8, size=64)
    runtime.seed_everything(0)
    features = cone.resnet18_features(noise, normalize=False)
    assert features.shape == (8, 512) and features.min() >= 0
    assert metrics.mean_cosine(features) > 0.9
    runtime.seed_everything(0)
    np.testing.assert_array_equal(features, cone.resnet18_features(noise, normalize=False))
    pictures = torch.rand(4, 3, 32, 32)
    assert cone.resnet18_features(pictures, size=64).shape == (4, 512)


def test_cap_fraction_matches_closed_forms_in_2d_and_3d():
    for theta in (0.1, 0.7, 1.2, math.pi / 2, 2.5):
        assert cone.cap_fraction(theta, 2) == pytest.approx(theta / math.pi)
        assert cone.cap_fraction(theta, 3) == pytest.approx((1 - math.cos(theta)) / 2)
    assert cone.cap_fraction(math.pi, 7) == pytest.approx(1.0)
    assert cone.cap_fraction(math.pi / 2, 512) == pytest.approx(0.5)


@pytest.mark.parametrize("dim", [2, 3, 5, 10])
def test_cap_fraction_matches_monte_carlo(dim):
    points = np.random.default_rng(dim).normal(size=(200_000, dim))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    theta = 1.0
    inside = np.mean(points[:, 0] > math.cos(theta))
    assert cone.cap_fraction(theta, dim) == pytest.approx(inside, abs=0.005)


def test_the_smallest_arguments_are_accepted():
    assert [h.shape for h in cone.layer_outputs("relu", depth=0, width=1, n=2)] == [(2, 1)]
    assert cone.cosine_trace("relu", depth=2, width=8, n=4, draws=1).shape == (1, 3)
    trace = cone.theorem2_trace(depth=1, width=1, inits=2, n=2)
    assert all(len(values) == 1 for values in trace.values())


def test_seed_embeddings_form_separate_cones():
    from gapkit.data import World

    images = World().sample(20, seed=0).images
    embeddings = cone.seed_embeddings("gapclip-tiny", images, range(4))
    assert embeddings.shape == (4, 20, 64)
    stats = cone.seed_separation(embeddings)
    assert stats["within"] > stats["between"] + 0.5
    assert stats["probe_accuracy"] == 1.0 and stats["chance"] == 0.25
    flat = embeddings.reshape(-1, 64)  # all 80 rows: within and between pairs together
    pairs = 80 * 79
    within_pairs, between_pairs = 4 * 20 * 19, 4 * 3 * 20 * 20
    mixed = (stats["within"] * within_pairs + stats["between"] * between_pairs) / pairs
    assert mixed == pytest.approx(metrics.mean_cosine(flat), abs=1e-9)


@pytest.mark.parametrize("call, message", [
    (lambda: cone.cosine_trace("gelu"), "unknown activation 'gelu'"),
    (lambda: cone.cosine_trace("relu", draws=0), "draws must be"),
    (lambda: cone.layer_outputs("relu", n=1), "n >= 2"),
    (lambda: cone.layer_outputs("relu", depth=-1), "depth >= 0"),
    (lambda: cone.layer_outputs("relu", width=0), "width >= 1"),
    (lambda: cone.theorem2_trace(depth=0), "depth >= 1"),
    (lambda: cone.theorem2_trace(width=0), "width >= 1"),
    (lambda: cone.theorem2_trace(n=1), "n >= 2"),
    (lambda: cone.theorem1_shares(16, 1.5), "cosine"),
    (lambda: cone.cap_fraction(1.0, 1), "dim must be"),
    (lambda: cone.cap_fraction(4.0, 3), "half_angle"),
    (lambda: cone.variance_shares(np.zeros((1, 3, 2))), "inits >= 2"),
    (lambda: cone.theorem2_trace(inits=1), "inits >= 2"),
    (lambda: cone.theorem2_trace("gelu"), "unknown activation"),
    (lambda: cone.resnet18_features(torch.zeros(2, 1, 8, 8)), "images must have shape"),
    (lambda: cone.seed_separation(np.ones((1, 5, 3))), "initialisations >= 2"),
    (lambda: cone.seed_separation(np.zeros((2, 5, 3))), "zero row"),
])
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_seed_embeddings_of_a_tower_built_for_larger_pictures():
    from gapkit.data import World

    images = World(image_size=64).sample(10, seed=0).images
    embeddings = cone.seed_embeddings("gapclip-tiny", images, range(3), image_size=64)
    assert embeddings.shape == (3, 10, 64)
    stats = cone.seed_separation(embeddings)
    assert stats["within"] > stats["between"] + 0.5
    # not the 32-px tower's reading of the same (resized) pictures
    small = cone.seed_embeddings("gapclip-tiny", images, range(1))
    assert not np.allclose(small[0], embeddings[0])
