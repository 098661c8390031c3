import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gapkit import metrics

finite = st.floats(-10, 10, allow_nan=False, width=32)


@st.composite
def pairs(draw):
    rows, dim = draw(st.integers(2, 20)), draw(st.integers(2, 8))
    x = draw(arrays(np.float64, (rows, dim), elements=finite))
    y = draw(arrays(np.float64, (rows, dim), elements=finite))
    # zero rows have no direction: their errors are tested below
    assume(min(np.linalg.norm(x, axis=1).min(), np.linalg.norm(y, axis=1).min()) > 1e-3)
    return x, y


def random_rotation(d, seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q * np.sign(np.diag(r))


@settings(max_examples=50, deadline=None)
@given(pairs(), st.integers(0, 2**31))
def test_gap_is_invariant_under_a_common_rotation(xy, seed):
    x, y = xy
    q = random_rotation(x.shape[1], seed)
    assert metrics.centroid_distance(x @ q, y @ q) == pytest.approx(
        metrics.centroid_distance(x, y), abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(pairs())
def test_gap_vector_is_antisymmetric_and_bounded(xy):
    x, y = xy
    np.testing.assert_allclose(metrics.gap_vector(x, y), -metrics.gap_vector(y, x))
    assert 0 <= metrics.centroid_distance(x, y) <= 2 + 1e-12


def test_gap_of_a_known_configuration():
    x = np.array([[1.0, 0.0], [1.0, 0.0]])
    y = np.array([[0.0, 3.0], [0.0, 5.0]])  # scale does not matter: rows are normalised
    np.testing.assert_allclose(metrics.gap_vector(x, y), [1.0, -1.0])
    assert metrics.centroid_distance(x, y) == pytest.approx(np.sqrt(2))
    assert metrics.centroid_distance(x, x) == 0


def test_torch_and_numpy_agree():
    x, y = torch.randn(30, 5), torch.randn(30, 5)
    assert metrics.centroid_distance(x, y) == pytest.approx(
        metrics.centroid_distance(x.numpy(), y.numpy()))


@pytest.mark.parametrize("x, y, message", [
    (np.ones((3, 4)), np.ones((4, 4)), "do not pair"),
    (np.ones((3, 4)), np.ones((3, 5)), "do not pair"),
    (np.ones(4), np.ones(4), "must be 2-D"),
    (np.ones((0, 4)), np.ones((0, 4)), "empty"),
    (np.full((3, 4), np.nan), np.ones((3, 4)), "NaN or inf"),
    (np.ones((3, 4)), np.full((3, 4), np.inf), "NaN or inf"),
    (np.vstack([np.ones(4), np.zeros(4)]), np.ones((2, 4)), "zero row"),
])
def test_bad_input_is_named(x, y, message):
    with pytest.raises(ValueError, match=message):
        metrics.centroid_distance(x, y)
