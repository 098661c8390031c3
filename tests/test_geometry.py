import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gapkit import geometry, metrics


def gapped(n=100, d=8, seed=0):
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=d)
    return rng.normal(size=(n, d)) + 2 * direction, rng.normal(size=(n, d)) - 2 * direction


@settings(max_examples=40, deadline=None)
@given(delta=st.floats(-2, 2), seed=st.integers(0, 1000))
def test_shift_keeps_unit_norm(delta, seed):
    x, y = gapped(seed=seed)
    sx, sy = geometry.shift(x, y, delta)
    np.testing.assert_allclose(np.linalg.norm(sx, axis=1), 1)
    np.testing.assert_allclose(np.linalg.norm(sy, axis=1), 1)


def test_shift_by_zero_is_the_identity_on_normalised_rows():
    x, y = gapped()
    sx, sy = geometry.shift(x, y, 0.0)
    nx, ny = metrics.paired(x, y)
    np.testing.assert_allclose(sx, nx)
    np.testing.assert_allclose(sy, ny)


def test_positive_delta_closes_the_gap_and_negative_widens_it():
    x, y = gapped()
    gap = metrics.centroid_distance(x, y)
    assert metrics.centroid_distance(*geometry.shift(x, y, 0.3)) < gap
    assert metrics.centroid_distance(*geometry.shift(x, y, -0.3)) > gap


def test_a_shift_of_both_moves_each_modality_half_the_step_along_the_gap():
    x, y = gapped()
    sx, sy = geometry.shift(x, y, 0.2)
    nx, ny = metrics.paired(x, y)
    gap = metrics.gap_vector(x, y)
    for shifted, raw in ((sx, nx - 0.1 * gap / np.linalg.norm(gap)),
                         (sy, ny + 0.1 * gap / np.linalg.norm(gap))):
        np.testing.assert_allclose(shifted, raw / np.linalg.norm(raw, axis=1, keepdims=True))


def test_shift_needs_a_gap():
    x, _ = gapped()
    with pytest.raises(ValueError, match="no gap to shift along"):
        geometry.shift(x, x, 0.5)


def test_procrustes_recovers_a_rotation():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 6))
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    rotation = geometry.procrustes(a, a @ q)
    np.testing.assert_allclose(rotation, q, atol=1e-10)
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(6), atol=1e-10)
    with pytest.raises(ValueError, match="do not pair"):
        geometry.procrustes(a, a[:10])


@settings(max_examples=40, deadline=None)
@given(delta=st.floats(-3, 3), seed=st.integers(0, 1000))
def test_an_image_only_shift_is_a_per_class_logit_offset(delta, seed):
    rng = np.random.default_rng(seed)
    images, prompts = rng.normal(size=(40, 6)), rng.normal(size=(5, 6))
    direction = rng.normal(size=6)
    moved, same = geometry.shift(images, prompts, delta, direction=direction, move="images")
    np.testing.assert_allclose(same, metrics.normalize_rows(prompts))  # prompts stay
    offsets = geometry.prompt_offsets(direction, prompts)
    expected = (metrics.normalize_rows(images) @ same.T - delta * offsets).argmax(axis=1)
    np.testing.assert_array_equal(metrics.zero_shot(moved, prompts), expected)


@settings(max_examples=30, deadline=None)
@given(delta=st.floats(-3, 3), seed=st.integers(0, 1000),
       move=st.sampled_from(["both", "images"]))
def test_a_direction_with_no_part_inside_the_prompt_span_moves_no_prediction(
        delta, seed, move):
    rng = np.random.default_rng(seed)
    images, prompts = rng.normal(size=(50, 10)), rng.normal(size=(3, 10))
    inside, outside = geometry.split_direction(rng.normal(size=10), prompts)
    np.testing.assert_allclose(inside @ outside, 0, atol=1e-12)
    offsets = geometry.prompt_offsets(outside, prompts)
    np.testing.assert_allclose(offsets, offsets[0], atol=1e-12)
    moved, texts = geometry.shift(images, prompts, delta, direction=outside, move=move)
    np.testing.assert_array_equal(metrics.zero_shot(moved, texts),
                                  metrics.zero_shot(images, prompts))


def whole_and_inside(images, prompts, delta, move, rng):
    """Predictions after shifting along a random direction, and along its inside part
    alone by the same amount (shift() takes unit directions)."""
    direction = geometry.unit(rng.normal(size=prompts.shape[1]), prompts.shape[1])
    inside, _ = geometry.split_direction(direction, prompts)
    length = np.linalg.norm(inside)
    return (metrics.zero_shot(*geometry.shift(images, prompts, delta, direction=direction,
                                              move=move)),
            metrics.zero_shot(*geometry.shift(images, prompts, delta * length,
                                              direction=inside / length, move=move)))


@settings(max_examples=30, deadline=None)
@given(delta=st.floats(-3, 3), seed=st.integers(0, 1000))
def test_an_image_only_shift_predicts_as_its_inside_part_alone(delta, seed):
    rng = np.random.default_rng(seed)
    images, prompts = rng.normal(size=(50, 10)), rng.normal(size=(3, 10))
    np.testing.assert_array_equal(*whole_and_inside(images, prompts, delta, "images", rng))


def test_one_prompt_spans_nothing_so_the_whole_direction_lies_outside():
    inside, outside = geometry.split_direction([3.0, 4.0], [[1.0, 0.0]])
    np.testing.assert_array_equal(inside, [0.0, 0.0])
    np.testing.assert_allclose(outside, [0.6, 0.8])


def test_a_shift_of_both_modalities_also_feels_the_outside_part():
    rng = np.random.default_rng(0)
    images, prompts = rng.normal(size=(2000, 10)) + 0.5, rng.normal(size=(4, 10))
    whole, inside = whole_and_inside(images, prompts, 2.0, "both", rng)
    assert (whole != inside).mean() > 0.01


def test_shift_along_a_given_direction_needs_no_pairs_and_checks_its_input():
    rng = np.random.default_rng(0)
    images, prompts = rng.normal(size=(7, 4)), rng.normal(size=(3, 4))
    sx, sy = geometry.shift(images, prompts, 0.0, direction=[1, 0, 0, 0])
    np.testing.assert_allclose(sx, metrics.normalize_rows(images))
    np.testing.assert_allclose(sy, metrics.normalize_rows(prompts))
    with pytest.raises(ValueError, match="finite"):
        geometry.shift(images, prompts, float("nan"), direction=[1, 0, 0, 0])
    with pytest.raises(ValueError, match="zero vector"):
        geometry.shift(images, prompts, 0.1, direction=[0, 0, 0, 0])
    with pytest.raises(ValueError, match="3 entries, the embeddings 4"):
        geometry.shift(images, prompts, 0.1, direction=[1, 0, 0])
    with pytest.raises(ValueError, match="unknown move"):
        geometry.shift(images, prompts, 0.1, direction=[1, 0, 0, 0], move="texts")
    with pytest.raises(ValueError, match="do not pair"):
        geometry.shift(images, prompts, 0.1)  # the default direction needs pairs


def test_images_only_moves_x_by_the_whole_step_and_leaves_y_normalised():
    x, y = gapped()
    sx, sy = geometry.shift(x, y, 0.4, move="images")
    nx, ny = metrics.paired(x, y)
    np.testing.assert_allclose(sy, ny)
    unit = geometry.gap_direction(x, y)
    raw = nx - 0.4 * unit
    np.testing.assert_allclose(sx, raw / np.linalg.norm(raw, axis=1, keepdims=True))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_collapse_removes_the_gap_and_keeps_unit_rows(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(60, 6)) + np.array([3.0, 0, 0, 0, 0, 0])
    y = rng.normal(size=(60, 6)) - np.array([3.0, 0, 0, 0, 0, 0])
    cx, cy = geometry.collapse(x, y)
    assert np.allclose(np.linalg.norm(cx, axis=1), 1)
    assert metrics.centroid_distance(cx, cy) < metrics.centroid_distance(x, y)


def test_collapse_takes_its_means_from_the_reference():
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[-1.0, 0.0], [0.0, -1.0]])
    same = geometry.collapse(x, y, reference=(x, y))
    assert np.allclose(same[0], geometry.collapse(x, y)[0])
    shifted = geometry.collapse(x, y, reference=(x + [5.0, 0.0], y))
    assert not np.allclose(shifted[0], same[0])
    with pytest.raises(ValueError, match="different space"):
        geometry.collapse(x, y, reference=(np.ones((2, 3)), y))


def test_collapse_strength_zero_only_normalises_and_one_is_the_default():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(20, 5)) + 2, rng.normal(size=(20, 5)) - 2
    none = geometry.collapse(x, y, strength=0.0)
    assert np.allclose(none[0], metrics.normalize_rows(x))
    assert np.allclose(geometry.collapse(x, y, strength=1.0)[1], geometry.collapse(x, y)[1])
    with pytest.raises(ValueError, match="strength must be a finite"):
        geometry.collapse(x, y, strength=float("nan"))


def test_standardising_divides_each_coordinate_by_its_spread():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(500, 3)) * np.array([1.0, 10.0, 0.1])
    y = rng.normal(size=(500, 3))
    sx, _ = geometry.collapse(x, y, standardise=True)
    unit = metrics.normalize_rows(x)
    expected = metrics.normalize_rows((unit - unit.mean(axis=0)) / unit.std(axis=0))
    assert np.allclose(sx, expected)
    flat = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]])  # z never varies
    with pytest.raises(ValueError, match="never varies"):
        geometry.collapse(flat, flat + 1, standardise=True)
