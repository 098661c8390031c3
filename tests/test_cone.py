import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gapkit import cone


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


def test_theorem1_probability_tends_to_one_and_fails_outside_its_condition():
    small, large = (cone.theorem1_probability(d, 0.5, trials=1000) for d in (8, 256))
    assert small < large and large > 0.99
    assert cone.theorem1_condition(3.0) == pytest.approx(0.6)
    assert cone.theorem1_condition(1.0) == 1.0
    # cosine 0.9 > 0.6 with r = 3: the layer now lowers the cosine, more surely when wide
    assert cone.theorem1_probability(256, 0.9, r=3.0, trials=1000) < 0.05


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


def test_seed_embeddings_form_separate_cones():
    from gapkit.data import World

    images = World().sample(20, seed=0).images
    embeddings = cone.seed_embeddings("gapclip-tiny", images, range(4))
    assert embeddings.shape == (4, 20, 64)
    stats = cone.seed_separation(embeddings)
    assert stats["within"] > stats["between"] + 0.5
    assert stats["probe_accuracy"] == 1.0 and stats["chance"] == 0.25


@pytest.mark.parametrize("call, message", [
    (lambda: cone.cosine_trace("gelu"), "unknown activation 'gelu'"),
    (lambda: cone.cosine_trace("relu", draws=0), "draws must be"),
    (lambda: cone.layer_outputs("relu", n=1), "n >= 2"),
    (lambda: cone.theorem1_probability(16, 1.5), "cosine"),
    (lambda: cone.cap_fraction(1.0, 1), "dim must be"),
    (lambda: cone.cap_fraction(4.0, 3), "half_angle"),
])
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
