import os
import re

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gapkit import io, metrics, report

finite = st.floats(-10, 10, allow_nan=False, width=32)


@st.composite
def pairs(draw, min_rows=2, max_rows=20):
    rows, dim = draw(st.integers(min_rows, max_rows)), draw(st.integers(2, 8))
    x = draw(arrays(np.float64, (rows, dim), elements=finite))
    y = draw(arrays(np.float64, (rows, dim), elements=finite))
    # zero rows have no direction: their errors are tested below
    assume(min(np.linalg.norm(x, axis=1).min(), np.linalg.norm(y, axis=1).min()) > 1e-3)
    return x, y


def unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def random_rotation(d, seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def clustered(n=300, d=16, seed=0, offset=2.0):
    rng = np.random.default_rng(seed)
    centre = rng.normal(size=d)
    return rng.normal(size=(n, d)) + offset * centre, rng.normal(size=(n, d)) - offset * centre


@settings(max_examples=40, deadline=None)
@given(pairs(min_rows=5), st.integers(0, 2**31))
def test_every_metric_is_invariant_under_a_common_rotation(xy, seed):
    x, y = xy
    q = random_rotation(x.shape[1], seed)
    before, after = metrics.measure(x, y).as_dict(), metrics.measure(x @ q, y @ q).as_dict()
    for key in ("centroid_distance", "rmg", "paired_cosine", "mean_cosine_x",
                "mean_cosine_y", "alignment", "uniformity_x", "uniformity_y"):
        assert after[key] == pytest.approx(before[key], abs=1e-9), key


@settings(max_examples=40, deadline=None)
@given(pairs())
def test_mean_cosine_equals_the_brute_force_matrix(xy):
    x, _ = xy
    gram = unit(x) @ unit(x).T
    n = len(x)
    expected = (gram.sum() - np.trace(gram)) / (n * (n - 1))
    assert metrics.mean_cosine(x) == pytest.approx(expected, abs=1e-10)


def test_mean_cosine_of_two_rows_is_their_cosine():
    assert metrics.mean_cosine(np.array([[1.0, 0.0], [1.0, 1.0]])) == pytest.approx(
        np.sqrt(0.5))


@settings(max_examples=40, deadline=None)
@given(pairs(min_rows=3))
def test_rmg_equals_its_definition(xy):
    x, y = map(unit, xy)
    n = len(x)

    def d(a, b):
        return (1 - a @ b.T) / 2

    paired_d = np.mean(np.diag(d(x, y)))
    assume(paired_d > 1e-6)  # coinciding pairs: 0 by convention, tested below
    within = [(d(a, a).sum() - np.trace(d(a, a))) / (n * (n - 1)) for a in (x, y)]
    expected = paired_d / (np.mean(within) + paired_d)
    assert metrics.rmg(x, y) == pytest.approx(expected, abs=1e-9)


def test_rmg_of_coinciding_pairs_is_zero_and_of_opposite_points_is_one():
    x = np.random.default_rng(0).normal(size=(20, 4))
    assert metrics.rmg(x, 3 * x) == 0.0
    e = np.eye(2)[:1].repeat(5, axis=0)  # every x at e1, every y at -e1
    assert metrics.rmg(e, -e) == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(pairs(), st.integers(1, 3))
def test_recall_equals_a_full_ranking(xy, k):
    x, y = map(unit, xy)
    k = min(k, len(x))
    sims = x @ y.T
    own = np.diag(sims)
    rivals = (sims >= own[:, None] - metrics.TIE).sum(axis=1) - 1  # ties count against
    assert metrics.recall_at_k(x, y, k) == pytest.approx(np.mean(rivals < k))


def test_recall_on_a_perfect_and_a_shuffled_pairing():
    x, _ = clustered()
    assert metrics.recall_at_k(x, x, 1) == 1.0
    shuffled = np.random.default_rng(0).permutation(x)
    assert metrics.recall_at_k(x, shuffled, 1) < 0.05
    sampled = metrics.recall_at_k(x, x, 1, max_queries=50)
    assert sampled == 1.0
    assert metrics.recall_at_k(x, x, max_queries=1) == 1.0  # a sample of one query


def test_recall_counts_the_own_caption_s_rank():
    x = np.eye(2)  # each image's own caption is orthogonal to it, the other one identical
    assert metrics.recall_at_k(x, x[::-1]) == 0.0  # k = 1 unless told
    assert metrics.recall_at_k(x, x[::-1], 2) == 1.0


def test_uniformity_exact_and_sampled():
    x = unit(np.random.default_rng(1).normal(size=(300, 5)))
    sq = np.sum((x[:, None] - x[None]) ** 2, axis=-1)
    off = ~np.eye(300, dtype=bool)
    exact = np.log(np.mean(np.exp(-2 * sq[off])))
    assert metrics.uniformity(x) == pytest.approx(exact, abs=1e-10)
    assert metrics.uniformity(x, max_rows=150) == pytest.approx(exact, abs=0.05)
    # two orthogonal unit rows lie 2 apart squared: log exp(-2 * 2)
    assert metrics.uniformity(np.eye(2)) == pytest.approx(-4.0)


def test_uniformity_over_more_rows_than_one_block():
    x = unit(np.random.default_rng(2).normal(size=(1100, 3)))  # blocks of 1024 and 76
    sq = np.sum((x[:, None] - x[None]) ** 2, axis=-1)
    exact = np.log(np.mean(np.exp(-2 * sq[~np.eye(1100, dtype=bool)])))
    assert metrics.uniformity(x, max_rows=1100) == pytest.approx(exact, abs=1e-10)


def test_alignment_and_paired_cosine_agree():
    x, y = clustered(offset=0.3)
    assert metrics.alignment(x, y) == pytest.approx(2 - 2 * metrics.paired_cosine(x, y))
    assert metrics.alignment(x, x) == pytest.approx(0, abs=1e-12)
    assert metrics.alignment(x, y, alpha=1) < np.sqrt(metrics.alignment(x, y))


def test_linear_separability_sees_a_gap_and_no_gap():
    x, y = clustered(offset=2.0)
    assert metrics.linear_separability(x, y) == 1.0
    same = np.random.default_rng(3).normal(size=(600, 16))
    assert metrics.linear_separability(same[:300], same[300:]) < 0.65


def test_gap_of_a_known_configuration():
    x = np.array([[1.0, 0.0], [1.0, 0.0]])
    y = np.array([[0.0, 3.0], [0.0, 5.0]])  # scale does not matter: rows are normalised
    np.testing.assert_allclose(metrics.gap_vector(x, y), [1.0, -1.0])
    assert metrics.centroid_distance(x, y) == pytest.approx(np.sqrt(2))
    assert metrics.centroid_distance(x, x) == 0


def test_measure_agrees_with_the_single_metrics():
    x, y = clustered(offset=0.5)
    m = metrics.measure(x, y)
    assert (m.n, m.dim) == x.shape
    assert m.centroid_distance == pytest.approx(metrics.centroid_distance(x, y))
    assert m.rmg == pytest.approx(metrics.rmg(x, y))
    assert m.mean_cosine_y == pytest.approx(metrics.mean_cosine(y))
    assert m.alignment == pytest.approx(metrics.alignment(x, y))
    assert set(m.as_dict()) >= {"n", "dim", "centroid_distance", "rmg", "linear_separability"}
    noisy = x + 0.8 * np.random.default_rng(0).normal(size=x.shape)  # recall@1, 2, 5, 6 differ
    on_noisy = metrics.measure(x, noisy)
    assert (on_noisy.recall_at_1, on_noisy.recall_at_5) == (
        metrics.recall_at_k(x, noisy, 1), metrics.recall_at_k(x, noisy, 5))


def test_measure_counts_its_progress_over_both_passes(monkeypatch):
    monkeypatch.setattr(metrics, "CHUNK", 64)
    x, y = clustered(n=300)
    calls = []
    metrics.measure(x, y, progress=lambda done, total: calls.append((done, total)))
    done = [d for d, _ in calls]
    assert {t for _, t in calls} == {600} and done[-1] == 600
    assert done[0] == 64 and all(np.diff(done) > 0)


def test_recall_at_5_of_fewer_than_5_pairs_is_undefined_not_perfect():
    x = np.eye(4)
    m = metrics.measure(x, x[::-1])
    assert m.recall_at_5 is None and m.recall_at_1 == 0.0
    assert "| recall@5, x → y | n/a |" in report.measurements({"a": m})
    assert metrics.measure(np.eye(5), np.eye(5)[::-1]).recall_at_5 == 1.0  # 5 is enough


def test_torch_chunks_and_arrays_agree(monkeypatch):
    x, y = clustered(n=500, offset=0.4)
    x, y = x.astype(np.float32), y.astype(np.float32)
    expected = metrics.measure(x, y).as_dict()
    monkeypatch.setattr(metrics, "CHUNK", 64)  # many chunks
    for result in (metrics.measure(x, y),
                   metrics.measure(torch.from_numpy(x), torch.from_numpy(y))):
        for key, value in result.as_dict().items():
            assert value == pytest.approx(expected[key], abs=1e-12), key


def test_float32_input_is_summed_in_float64():
    """Nearly collapsed rows (cosines ~ 1 - 1e-5): the float32 input must give the float64
    answer, not one off by float32 rounding of 2 - 2 cos."""
    rng = np.random.default_rng(0)
    x = (np.ones(64) + 3e-3 * rng.normal(size=(300, 64))).astype(np.float32)
    y = (np.ones(64) + 3e-3 * rng.normal(size=(300, 64))).astype(np.float32)
    single, double = metrics.measure(x, y), metrics.measure(x.astype(float), y.astype(float))
    for key, value in double.as_dict().items():
        assert getattr(single, key) == pytest.approx(value, rel=1e-12, abs=1e-15), key
    assert 1 - metrics.mean_cosine(x) == pytest.approx(1 - metrics.mean_cosine(x.astype(float)),
                                                       rel=1e-9)


@pytest.mark.skipif(not os.environ.get("GAPKIT_DATA_DIR"), reason="GAPKIT_DATA_DIR not set")
def test_the_collapsed_paper_file_matches_a_float64_reference():
    """Wang & Isola's uniformity and the mean cosine written out in float64 on the nearly
    collapsed ``clasp_random`` file, which is stored in float32 (0.2% off before the fix)."""
    from gapkit.data import paper

    x32, y32 = io.load_pairs(paper.paper_file("clasp_random"))
    assert x32.dtype == np.float32
    m = metrics.measure(x32, y32)
    for name, a in (("x", np.asarray(x32, np.float64)), ("y", np.asarray(y32, np.float64))):
        u = unit(a)
        off = ~np.eye(len(u), dtype=bool)
        sq = np.sum((u[:, None] - u[None]) ** 2, axis=-1)[off]  # torch.pdist(u) ** 2, twice
        uniformity = np.log(np.mean(np.exp(-2 * sq)))
        within = (u @ u.T)[off].mean()
        assert getattr(m, f"uniformity_{name}") == pytest.approx(uniformity, rel=1e-9)
        assert 1 - getattr(m, f"mean_cosine_{name}") == pytest.approx(1 - within, rel=1e-9)


@pytest.mark.parametrize("x, y, message", [
    (np.ones((3, 4)), np.ones((4, 4)), "do not pair"),
    (np.ones((3, 4)), np.ones((3, 5)), "do not pair"),
    (np.ones(4), np.ones(4), "must be 2-D"),
    (np.ones((0, 4)), np.ones((0, 4)), "empty"),
    (np.ones((4, 0)), np.ones((4, 0)), "empty"),
    (np.full((3, 4), np.nan), np.ones((3, 4)), "NaN or inf"),
    (np.ones((3, 4)), np.full((3, 4), np.inf), "NaN or inf"),
    (np.ones((4, 4)), np.vstack([np.ones((2, 4)), np.full((2, 4), np.nan)]),
     r"y holds NaN or inf values \(first: row 2\)"),
    (np.vstack([np.ones(4), np.zeros(4)]), np.ones((2, 4)), "zero row"),
])
def test_bad_input_is_named(x, y, message):
    for metric in (metrics.centroid_distance, metrics.rmg, metrics.measure,
                   metrics.alignment, metrics.paired_cosine):
        with pytest.raises(ValueError, match=message):
            metric(x, y)


@pytest.mark.parametrize("call, message", [
    (lambda: metrics.recall_at_k(np.eye(3), np.eye(3), max_queries=0),
     "max_queries must be at least 1"),
    (lambda: metrics.uniformity(np.eye(3), max_rows=0), "max_rows must be at least 1"),
    (lambda: metrics.logit_entropy(np.eye(3), np.eye(4), 0.1),
     "images and texts live in different spaces: 3 and 4"),
    (lambda: metrics.mixed_retrieval(np.eye(3), np.eye(4), np.eye(3), np.ones((3, 4))),
     "queries and images live in different spaces"),
    (lambda: metrics.centroid_distance([[1.0, 0.0]], [[0.0, 1.0]]),
     "x must be an array or a tensor, got a list"),
    (lambda: metrics.centroid_distance(np.full((2, 2), 1e200), np.ones((2, 2))),
     r"x has a row too large to normalise \(row 0\)"),
])
def test_more_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_unit_rows_in_one_space_need_not_pair_but_must_share_a_dimension():
    x, y = metrics.unit_rows_in_one_space(np.full((3, 2), 3.0), np.eye(2)[[1]] * 5)
    np.testing.assert_allclose(x, np.full((3, 2), 0.5 ** 0.5))
    np.testing.assert_array_equal(y, [[0.0, 1.0]])
    with pytest.raises(ValueError, match="x and y live in different spaces: 3 and 4"):
        metrics.unit_rows_in_one_space(np.eye(3), np.eye(4))
    with pytest.raises(ValueError, match=r"y has a zero row \(row 1\)"):
        metrics.unit_rows_in_one_space(np.eye(3), np.eye(3)[[0, 0]] * [[1], [0]])


def test_bfloat16_tensors_are_read():
    x = torch.ones(3, 2, dtype=torch.bfloat16)
    assert metrics.centroid_distance(x, torch.ones(3, 2)) == pytest.approx(0, abs=1e-9)


def test_a_zero_row_is_reported_by_its_global_index(monkeypatch):
    monkeypatch.setattr(metrics, "CHUNK", 4)
    x = np.ones((10, 3))
    x[9] = 0
    with pytest.raises(ValueError, match=r"row 9\)"):
        metrics.measure(x, np.ones((10, 3)))


@pytest.mark.parametrize("metric", [
    metrics.uniformity,
    lambda x: metrics.recall_at_k(x, np.ones_like(x), max_queries=1000),
    lambda x: metrics.linear_separability(x, np.ones_like(x), max_pairs=1000),
])
@pytest.mark.parametrize("bad, message", [(0.0, "zero row"), (np.nan, "NaN or inf")])
def test_a_sampled_metric_names_a_bad_row_by_its_row_in_the_whole_array(metric, bad, message):
    x = np.ones((3000, 4))
    x[2000:] = bad  # a sample of 1,000 rows finds some; their numbers start at 2000
    with pytest.raises(ValueError, match=message) as error:
        metric(x)
    assert int(re.search(r"row (\d+)\)", str(error.value))[1]) >= 2000


def test_markdown_table_has_a_row_per_metric_and_a_column_per_set():
    x, y = clustered(n=50)
    table = report.measurements({"a": metrics.measure(x, y), "b": metrics.measure(y, x)})
    lines = table.splitlines()
    assert lines[0] == "| metric | a | b |" and len(lines) == 2 + len(metrics.LABELS)
    assert all(line.count("|") == 4 for line in lines)
    assert "| pairs | 50 | 50 |" in lines


def test_bootstrap_spread_shrinks_with_more_pairs():
    small, large = clustered(n=50, offset=0.3), clustered(n=2000, offset=0.3)
    spread_small = metrics.bootstrap(metrics.centroid_distance, *small).std()
    spread_large = metrics.bootstrap(metrics.centroid_distance, *large).std()
    assert spread_large < spread_small / 3  # about sqrt(40) times smaller
    again = metrics.bootstrap(metrics.centroid_distance, *small)
    np.testing.assert_array_equal(again, metrics.bootstrap(metrics.centroid_distance, *small))


def test_bootstrap_can_draw_every_pair():
    x = np.eye(4)  # each pair recognisable by its x row
    drawn = metrics.bootstrap(lambda a, b: a.argmax(axis=1), x, x, resamples=100)
    assert set(np.unique(drawn)) == {0, 1, 2, 3}


def direct_clip_loss(x, y, temperature):
    """The symmetric CLIP loss written out by hand, for one batch."""
    x, y = unit(x), unit(y)
    logits = x @ y.T / temperature

    def cross_entropy(z):
        z = z - z.max(axis=1, keepdims=True)
        return np.mean(np.log(np.exp(z).sum(axis=1)) - np.diag(z))

    return (cross_entropy(logits) + cross_entropy(logits.T)) / 2


@settings(max_examples=30, deadline=None)
@given(pairs(min_rows=2, max_rows=12), st.floats(0.01, 2.0))
def test_clip_loss_equals_a_direct_implementation_and_is_symmetric(xy, temperature):
    x, y = xy
    expected = direct_clip_loss(x, y, temperature)
    assert metrics.clip_loss(x, y, temperature, batch_size=50) == pytest.approx(expected,
                                                                                rel=1e-9)
    assert metrics.clip_loss(y, x, temperature) == pytest.approx(expected, rel=1e-9)


def test_clip_loss_of_the_authors_notebook_is_the_image_to_text_term_alone():
    x, y = clustered(n=100, offset=0.3)
    logits = unit(x[:50]) @ unit(y[:50]).T / 0.1
    z = logits - logits.max(axis=1, keepdims=True)
    image_to_text = np.mean(np.log(np.exp(z).sum(axis=1)) - np.diag(z))
    assert metrics.clip_loss(x[:50], y[:50], 0.1, symmetric=False) == pytest.approx(
        image_to_text, rel=1e-9)
    both = metrics.clip_loss(x, y, 0.1)
    assert metrics.clip_loss(y, x, 0.1, symmetric=False) != pytest.approx(
        metrics.clip_loss(x, y, 0.1, symmetric=False))  # not symmetric
    assert (metrics.clip_loss(x, y, 0.1, symmetric=False)
            + metrics.clip_loss(y, x, 0.1, symmetric=False)) / 2 == pytest.approx(both)


def test_clip_loss_batches():
    x, y = clustered(n=120, offset=0.3)
    # 120 = 50 + 50 + 20: three batches, the shorter one counting as one
    batches = [slice(0, 50), slice(50, 100), slice(100, 120)]
    expected = np.mean([direct_clip_loss(x[b], y[b], 0.1) for b in batches])
    assert metrics.clip_loss(x, y, 0.1) == pytest.approx(expected)
    # a last batch of one pair (loss 0 whatever the embeddings) is dropped
    assert metrics.clip_loss(x[:101], y[:101], 0.1) == pytest.approx(
        np.mean([direct_clip_loss(x[b], y[b], 0.1) for b in batches[:2]]))
    with pytest.raises(ValueError, match="temperature must be positive"):
        metrics.clip_loss(x, y, 0.0)
    with pytest.raises(ValueError, match="at least 2 pairs"):
        metrics.clip_loss(x[:1], y[:1], 0.1)
    pairs_of_two = [direct_clip_loss(x[i:i + 2], y[i:i + 2], 0.1) for i in (0, 2)]
    assert metrics.clip_loss(x[:4], y[:4], 0.1, batch_size=2) == pytest.approx(
        np.mean(pairs_of_two))


def test_zero_shot_picks_the_closest_prompt_and_checks_dimensions():
    prompts = np.eye(3)
    images = np.array([[0.1, 2, 0], [5, 1, 0], [0, 0, -1], [0, 0.2, 3]])
    np.testing.assert_array_equal(metrics.zero_shot(images, prompts), [1, 0, 0, 2])
    with pytest.raises(ValueError, match="different spaces"):
        metrics.zero_shot(np.ones((2, 4)), prompts)


def test_top1_of_cosines_counts_ties_against_the_true_pair():
    cosines = np.array([[0.9, 0.1, 0.2], [0.5, 0.5, 0.1], [0.3, 0.8, 0.7]])
    np.testing.assert_array_equal(metrics.top1_of_cosines(cosines), [True, False, False])
    np.testing.assert_array_equal(metrics.top1_of_cosines(cosines.T), [True, False, True])
    with pytest.raises(ValueError, match="square"):
        metrics.top1_of_cosines(np.ones((2, 3)))


def test_paired_difference_brackets_the_mean_change():
    rng = np.random.default_rng(0)
    before = rng.random(500) < 0.6
    after = before | (rng.random(500) < 0.1)  # only fixes: a positive change
    mean, low, high = metrics.paired_difference(before, after)
    assert mean == pytest.approx(after.mean() - before.mean())
    assert 0 < low <= mean <= high
    assert metrics.paired_difference(before, before) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="same length"):
        metrics.paired_difference(before, after[:10])
    with pytest.raises(ValueError, match="same length"):
        metrics.paired_difference([], [])


def test_paired_difference_gives_a_95_percent_interval():
    change = np.random.default_rng(1).normal(size=400)  # b − a; a is all zeros
    mean, low, high = metrics.paired_difference(np.zeros(400), change)
    half_width = 1.96 * change.std() / np.sqrt(400)  # the normal approximation
    assert (high - low) / 2 == pytest.approx(half_width, rel=0.05)


def test_seed_interval_is_students_t_around_the_mean():
    # three seeds: mean 2, standard error 1/sqrt(3); t(0.975, 2) = 4.303
    mean, low, high = metrics.seed_interval([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert high - mean == pytest.approx(mean - low) == pytest.approx(4.3027 / np.sqrt(3), 1e-4)
    assert metrics.seed_interval([5.0, 5.0]) == (5.0, 5.0, 5.0)
    one = metrics.seed_interval([0.3])
    assert one[0] == 0.3 and np.isnan(one[1:]).all()  # one run: no spread to estimate
    narrower = metrics.seed_interval([1.0, 2.0, 3.0], level=0.5)
    assert low < narrower[1] < narrower[2] < high
    with pytest.raises(ValueError, match="finite"):
        metrics.seed_interval([1.0, np.nan])
    with pytest.raises(ValueError, match="non-empty 1-D"):
        metrics.seed_interval([])
    for level in (0.0, 1.0):
        with pytest.raises(ValueError, match="level"):
            metrics.seed_interval([1.0, 2.0], level=level)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=8),
       st.floats(-1e3, 1e3), st.floats(0.1, 10))
def test_seed_interval_moves_and_scales_with_its_runs(values, shift, scale):
    mean, low, high = metrics.seed_interval(values)
    assert low - 1e-9 <= mean <= high + 1e-9
    moved = metrics.seed_interval([scale * v + shift for v in values])
    expected = (scale * mean + shift, scale * low + shift, scale * high + shift)
    assert moved == pytest.approx(expected, abs=1e-6 * (1 + scale * 1e3))


def test_logit_entropy_is_zero_for_a_sure_choice_and_log_n_for_none():
    texts = np.eye(4)
    assert metrics.logit_entropy(texts, texts, temperature=1e-3) == pytest.approx(0, abs=1e-9)
    assert metrics.logit_entropy(texts, texts, temperature=1e6) == pytest.approx(np.log(4))
    with pytest.raises(ValueError, match="temperature must be positive"):
        metrics.logit_entropy(texts, texts, temperature=0)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(0, 10_000))
def test_gap_dimensions_counts_the_coordinates_that_carry_the_gap(k, seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(200, 12))
    y[:, :k] = np.abs(y[:, :k]) + 0.1  # positive in the first k coordinates
    x = y.copy()
    x[:, :k] *= -1  # the same row norms: the gap lies in those k coordinates only
    assert metrics.gap_dimensions(x, y, share=1.0) == k
    assert 1 <= metrics.gap_dimensions(x, y, share=0.5) <= k
    for share in (0, 1.01):
        with pytest.raises(ValueError, match="share must lie"):
            metrics.gap_dimensions(x, y, share=share)
    with pytest.raises(ValueError, match="no gap to share out"):
        metrics.gap_dimensions(x, x)


def test_gap_dimensions_is_one_for_a_gap_along_one_axis():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 8)) * 0.01
    y = x.copy()
    x[:, 3] += 1.0
    assert metrics.gap_dimensions(x, y) == 1


def test_mixed_retrieval_finds_texts_first_across_a_gap_and_images_without_one():
    rng = np.random.default_rng(0)
    texts = rng.normal(size=(10, 16))
    images = texts + 0.1 * rng.normal(size=texts.shape)
    relevant = np.eye(10, dtype=bool)
    share, hits = metrics.mixed_retrieval(texts, images, texts, relevant)
    assert share == 1.0 and hits == 1.0  # no gap: each caption finds its own image
    axis = 5 * np.eye(16)[0]  # a gap along the first axis
    share, hits = metrics.mixed_retrieval(texts - axis, images + axis, texts - axis,
                                          relevant)
    assert share == 0.0 and hits == 0.0  # every caption finds another caption first
    with pytest.raises(ValueError, match="relevant must have shape"):
        metrics.mixed_retrieval(texts, images, texts, relevant[:5])


def test_on_host_reads_arrays_and_tensors_with_a_gradient_alike():
    values = np.arange(6.0).reshape(2, 3)
    tensor = torch.tensor(values, requires_grad=True)
    assert np.array_equal(metrics.on_host(tensor), values)
    assert metrics.on_host(values) is values  # an array is not copied
    assert np.array_equal(metrics.on_host([1, 2]), [1, 2])
