import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gapkit import geometry, metrics, shifting


def gapped(n=60, d=8, seed=0):
    rng = np.random.default_rng(seed)
    direction = rng.normal(size=d)
    noise = rng.normal(size=(n, d))
    return noise + 1.5 * direction + 0.3 * rng.normal(size=(n, d)), noise - 1.5 * direction


@settings(max_examples=30, deadline=None)
@given(delta=st.floats(-3, 3), seed=st.integers(0, 500), move=st.sampled_from(["both", "images"]))
def test_shifted_cosines_equal_the_cosines_of_shifted_rows(delta, seed, move):
    x, y = gapped(seed=seed)
    direction = np.random.default_rng(seed + 1).normal(size=x.shape[1])
    sx, sy = geometry.shift(x, y, delta, direction=direction, move=move)
    fast = shifting.ShiftedCosines(x, y, direction)(delta, move)
    np.testing.assert_allclose(fast, sx @ sy.T, atol=1e-10)


@pytest.mark.parametrize("y, message", [
    (np.ones((2, 5)), "x and y live in different spaces: 4 and 5"),
    (np.zeros((2, 4)), "y has a zero row"),
])
def test_shifted_cosines_check_their_input_as_a_shift_does(y, message):
    with pytest.raises(ValueError, match=message):
        shifting.ShiftedCosines(np.ones((3, 4)), y, np.ones(4))
    with pytest.raises(ValueError, match=message):
        geometry.shift(np.ones((3, 4)), y, 0.1, direction=np.ones(4))


def test_best_delta_prefers_the_smallest_shift_among_ties():
    assert shifting.best_delta([-1, -0.5, 0, 0.5], [3, 1, 1, 3]) == 0.5
    assert shifting.best_delta([-1, 0, 1], [2, 2, 2]) == 0
    assert shifting.best_delta([-1, 0, 1], [1, 2, 3]) == 1
    with pytest.raises(ValueError, match="same length"):
        shifting.best_delta([0, 1], [1])
    with pytest.raises(ValueError, match="same length"):
        shifting.best_delta([], [])


def test_halves_are_disjoint_and_cover_everything():
    for fit, test in shifting.halves(11, splits=5, seed=3):
        assert np.intersect1d(fit, test).size == 0
        assert sorted(np.r_[fit, test]) == list(range(11))
    assert [f.tolist() for f, _ in shifting.halves(11, 3, 1)] == \
        [f.tolist() for f, _ in shifting.halves(11, 3, 1)]
    assert [len(half) for half in shifting.halves(4, 1)[0]] == [2, 2]
    for n, splits in ((3, 1), (10, 0)):
        with pytest.raises(ValueError, match="at least 4 items and 1 split"):
            shifting.halves(n, splits)


def test_the_held_out_choice_never_reads_the_test_pairs():
    x, y = gapped(n=80)
    fit, test = shifting.halves(80, 1, seed=0)[0]
    deltas = np.linspace(-1, 1, 21)
    first = shifting.held_out_split(x, y, fit, test, deltas)
    scrambled_x, scrambled_y = x.copy(), y.copy()
    rng = np.random.default_rng(9)
    scrambled_x[test] = rng.normal(size=(len(test), x.shape[1]))
    scrambled_y[test] = rng.normal(size=(len(test), x.shape[1]))
    second = shifting.held_out_split(scrambled_x, scrambled_y, fit, test, deltas)
    np.testing.assert_array_equal(first.delta_held_out, second.delta_held_out)
    assert not np.array_equal(first.optimistic, second.optimistic)
    assert (first.optimistic >= first.baseline).all()
    with pytest.raises(ValueError, match="share pairs"):
        shifting.held_out_split(x, y, fit, fit, deltas)


def test_a_split_scores_its_test_pairs_unshifted_and_at_the_fitted_choice():
    x, y = gapped(n=80)
    fit, test = shifting.halves(80, 1, seed=0)[0]
    result = shifting.held_out_split(x, y, fit, test, np.linspace(-1, 1, 21))
    np.testing.assert_array_equal(result.baseline, [metrics.recall_at_k(x[test], y[test]),
                                                   metrics.recall_at_k(y[test], x[test])])
    direction = geometry.gap_direction(x[fit], y[fit])
    for k, delta in enumerate(result.delta_held_out):
        shifted = shifting.retrieval_curves(x[test], y[test], [delta], direction)
        assert result.held_out[k] == shifted[0, k]


def test_zero_shot_choice_uses_validation_for_delta_and_reports_on_test():
    rng = np.random.default_rng(0)
    prompts = rng.normal(size=(3, 8))
    direction = rng.normal(size=8)
    labels = rng.integers(0, 3, 200)
    images = prompts[labels] + 0.8 * rng.normal(size=(200, 8)) + direction
    validation, test = (images[:100], labels[:100]), (images[100:], labels[100:])
    deltas = np.linspace(-2, 2, 9)
    choice = shifting.choose_zero_shot(prompts, direction, validation, test, deltas)
    curve = shifting.zero_shot_correct(validation[0], prompts, validation[1], deltas,
                                       direction).mean(axis=1)
    assert choice.delta_held_out == shifting.best_delta(deltas, curve)
    assert choice.optimistic == choice.curve.max() > choice.held_out == choice.curve[
        np.flatnonzero(deltas == choice.delta_held_out)[0]]  # test accuracy at validation's δ
    assert choice.default == choice.curve[4] == np.mean(
        metrics.zero_shot(test[0], prompts) == test[1])  # δ = 0: the model as it is
    for gain, (low, high) in ((choice.held_out - choice.default, choice.interval_held_out),
                              (choice.optimistic - choice.default, choice.interval_optimistic)):
        assert low <= gain <= high
    with pytest.raises(ValueError, match="include 0"):
        shifting.choose_zero_shot(prompts, direction, validation, test, [0.5, 1.0])
