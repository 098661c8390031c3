"""Numbers that describe a set of paired embeddings (x_i, y_i), i = 1..N, in D dimensions.

Rows are L2-normalised inside, so the inputs may come straight from an encoder. Every
metric costs O(N·D) time and O(chunk·D) memory: the data are read in chunks (arrays from
``gapkit.io.load_pairs`` stay on disk, so a file of any size works), sums stand in for N×N
matrices, and the few metrics that would need all pairs (separability, uniformity, recall)
are estimated on a seeded random sample when N is large (the sizes are arguments). Rows are
normalised and summed in float64 whatever the input dtype: on nearly collapsed embeddings
(cosines within 1e-5 of 1) float32 rounding alone moves uniformity by 0.2%. The landing page
uses ``centroid_distance``; chapter 1 introduces them all and ``measure`` returns them
together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import log_softmax
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from gapkit import io
from gapkit.io import load_pairs  # noqa: F401 -- its old home: metrics.load_pairs still works

if TYPE_CHECKING:  # torch is not imported at run time: `gapkit measure` starts faster
    import torch

    ArrayLike = np.ndarray | torch.Tensor
CHUNK = 8_192  # rows per chunk: 8k × 512 float64 = 32 MB
TIE = 1e-6  # retrieval: cosines closer than this tie (float32 rounding), against the pair


def on_host(a: ArrayLike) -> np.ndarray:
    """``a`` as a NumPy array: an array as it is, a torch tensor on any device copied to the
    CPU without its gradient. Every metric reads its input through it (``as_numpy``, chapter
    1), and so do ``geometry.unit`` and ``cone.variance_shares`` (chapters 2 and 5)."""
    if hasattr(a, "detach"):  # a torch tensor
        a = a.detach().cpu()
        if str(a.dtype) == "torch.bfloat16":  # a dtype NumPy does not have
            a = a.float()
        a = a.numpy()
    return np.asarray(a)


def as_numpy(a: ArrayLike, name: str = "array",
             rows: Sequence[int] | None = None) -> np.ndarray:
    """A NumPy float array of a tensor or array, rejecting NaN, inf and non-2-D input.

    float32 stays float32 (half the memory of a whole array); anything else becomes float64.
    ``normalize_rows`` then computes in float64. ``rows`` numbers the rows in the errors
    (default 0, 1, ...): where ``a`` holds some rows of a larger array, their numbers there.

    Used by every metric to read its input (chapter 1).
    """
    a = on_host(a)
    a = a.astype(a.dtype if a.dtype == np.float32 else np.float64, copy=False)
    _check_shape(a, name)
    if not np.isfinite(a).all():
        first = np.flatnonzero(~np.isfinite(a).all(axis=1))[0]
        raise ValueError(f"{name} holds NaN or inf values (first: row "
                         f"{_numbered(rows, first)})")
    return a


def _numbered(rows: Sequence[int] | None, k: int) -> int:
    return int(k if rows is None else rows[k])


def _check_shape(a, name: str) -> None:
    if not hasattr(a, "ndim"):
        raise ValueError(f"{name} must be an array or a tensor, got a {type(a).__name__}")
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D (rows = samples), got shape {tuple(a.shape)}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {tuple(a.shape)}")


def normalize_rows(a: ArrayLike, name: str = "array",
                   rows: Sequence[int] | None = None) -> np.ndarray:
    """Rows scaled to unit L2 norm, in float64; a zero row is an error, not a silent NaN.
    ``rows`` numbers the rows in the errors, as in ``as_numpy``.

    Chapter 2 normalises hidden activations with it; every metric reads its rows through it.
    """
    a = np.array(as_numpy(a, name, rows), dtype=np.float64)  # a copy, divided in place
    with np.errstate(over="ignore"):  # an overflow is reported below, by its row
        norms = np.linalg.norm(a, axis=1, keepdims=True)
    zero = np.flatnonzero(norms[:, 0] == 0)
    if zero.size:
        raise ValueError(f"{name} has a zero row (row {_numbered(rows, zero[0])}), "
                         "which has no direction")
    huge = np.flatnonzero(~np.isfinite(norms[:, 0]))
    if huge.size:  # its squares overflow float64: dividing by inf would zero it silently
        raise ValueError(f"{name} has a row too large to normalise (row "
                         f"{_numbered(rows, huge[0])}): rescale the embeddings")
    a /= norms
    return a


def _one_space(a, b, a_name: str, b_name: str) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"{a_name} and {b_name} live in different spaces: {a.shape[1]} and "
                         f"{b.shape[1]} dimensions")


def unit_rows_in_one_space(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """x and y with unit rows, refused unless they share a dimension; unlike ``paired``,
    they need not pair (N images against C prompts).

    Chapters 4 and 5 shift such sets with it (``geometry.shift``,
    ``shifting.ShiftedCosines``), so the two refuse the same input in the same words;
    chapter 6 collapses them (``geometry.collapse``)."""
    x, y = normalize_rows(x, "x"), normalize_rows(y, "y")
    _one_space(x, y, "x", "y")
    return x, y


def _check_pair(x, y) -> tuple[int, int]:
    for a, name in ((x, "x"), (y, "y")):
        _check_shape(a, name)
    if tuple(x.shape) != tuple(y.shape):
        raise ValueError(f"x and y do not pair: shapes {tuple(x.shape)} and {tuple(y.shape)} "
                         "(need the same number of rows and the same dimension)")
    return int(x.shape[0]), int(x.shape[1])


def _chunks(n: int, size: int | None = None) -> Iterator[slice]:
    """Row slices of ``CHUNK`` rows (or ``size``)."""
    size = size or CHUNK
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def _rows(a, rows, name: str) -> np.ndarray:
    """Rows of ``a`` (a slice or sorted indices), as unit-norm float64. An on-disk array is
    read into its reused buffer, which ``normalize_rows`` copies out of."""
    numbers = range(rows.start, rows.stop) if isinstance(rows, slice) else rows
    return normalize_rows(io.rows(a, rows), name, numbers)


def paired(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Check that x and y pair row by row in one space, and L2-normalise both (in memory).

    Introduced in the landing page."""
    _check_pair(x, y)
    return normalize_rows(x, "x"), normalize_rows(y, "y")


@dataclass(frozen=True)
class _Sums:
    """What one pass over the pairs gathers; every first-order metric derives from it."""

    n: int
    sum_x: np.ndarray
    sum_y: np.ndarray
    paired_cos: float  # sum over i of cos(x_i, y_i)


def _sums(x, y, tick: Callable[[int], None] | None = None) -> _Sums:
    n, d = _check_pair(x, y)
    sum_x, sum_y, paired_cos = np.zeros(d), np.zeros(d), 0.0
    for rows in _chunks(n):
        cx, cy = _rows(x, rows, "x"), _rows(y, rows, "y")
        sum_x += cx.sum(axis=0)
        sum_y += cy.sum(axis=0)
        paired_cos += float(np.einsum("ij,ij->", cx, cy))
        if tick:
            tick(rows.stop - rows.start)
    return _Sums(n, sum_x, sum_y, paired_cos)


def _mean_cosine_from_sum(total: np.ndarray, n: int) -> float:
    # sum over i != j of x_i·x_j = ‖Σ x_i‖² − Σ ‖x_i‖² = ‖s‖² − n
    if n < 2:
        raise ValueError("mean_cosine needs at least 2 rows")
    return float((total @ total - n) / (n * (n - 1)))


def gap_vector(x: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Δ = mean(x) − mean(y) of the L2-normalised rows: the modality gap as a vector.

    Introduced in the landing page."""
    s = _sums(x, y)
    return (s.sum_x - s.sum_y) / s.n


def centroid_distance(x: ArrayLike, y: ArrayLike) -> float:
    """‖Δ‖, the distance between the two modalities' centroids (the paper's gap).

    Introduced in the landing page."""
    return float(np.linalg.norm(gap_vector(x, y)))


def paired_cosine(x: ArrayLike, y: ArrayLike) -> float:
    """Mean cosine similarity of the true pairs, (1/N) Σ cos(x_i, y_i) (chapter 1)."""
    s = _sums(x, y)
    return s.paired_cos / s.n


def mean_cosine(x: ArrayLike) -> float:
    """Mean cosine between distinct rows of one modality, from the sum vector in O(N·D).

    Introduced in chapter 2 (The cone effect)."""
    _check_shape(x, "x")
    total = np.zeros(x.shape[1])
    for rows in _chunks(len(x)):
        total += _rows(x, rows, "x").sum(axis=0)
    return _mean_cosine_from_sum(total, len(x))


def rmg(x: ArrayLike, y: ArrayLike) -> float:
    """Relative modality gap (Schrodi et al., 2025), with d(u, v) = (1 − cos(u, v)) / 2:

    mean d over true pairs / (mean d within each modality, averaged over both + that same
    mean over true pairs). 0 when pairs coincide; near 1 when pairs are far apart compared
    with how spread out each modality is.

    Introduced in chapter 1 (The gap).
    """
    s = _sums(x, y)
    return _rmg(s)


def _rmg(s: _Sums) -> float:
    paired_d = (1 - s.paired_cos / s.n) / 2
    if paired_d < 1e-12:  # every pair coincides (up to rounding): no gap at all
        return 0.0
    within = [(1 - _mean_cosine_from_sum(total, s.n)) / 2 for total in (s.sum_x, s.sum_y)]
    return paired_d / (float(np.mean(within)) + paired_d)


def alignment(x: ArrayLike, y: ArrayLike, alpha: float = 2.0) -> float:
    """Wang & Isola's alignment, (1/N) Σ ‖x_i − y_i‖^α (lower: pairs closer).

    Chapter 1 reports it through ``measure``."""
    n, _ = _check_pair(x, y)
    total = 0.0
    for rows in _chunks(n):
        distances = np.linalg.norm(_rows(x, rows, "x") - _rows(y, rows, "y"), axis=1)
        total += float((distances**alpha).sum())
    return total / n


def _sample(n: int, size: int, seed: int, name: str) -> np.ndarray:
    """Sorted row indices: all rows when n <= size, else a seeded random subset."""
    if size < 1:
        raise ValueError(f"{name} must be at least 1, got {size}")
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def uniformity(x: ArrayLike, t: float = 2.0, max_rows: int = 1024, seed: int = 0) -> float:
    """Wang & Isola's uniformity, log mean over i≠j of exp(−t‖x_i − x_j‖²) (lower: spread).

    Exact for N <= max_rows; otherwise on a seeded random subset of max_rows rows. Chapter 1
    reports it through ``measure``.
    """
    _check_shape(x, "x")
    rows = _rows(x, _sample(len(x), max_rows, seed, "max_rows"), "x")
    if len(rows) < 2:
        raise ValueError("uniformity needs at least 2 rows")
    # ‖u − v‖² = 2 − 2 u·v for unit vectors; the Gram matrix is max_rows² at most.
    total, n = 0.0, len(rows)
    for block in _chunks(n, size=1024):
        sq = 2 - 2 * rows[block] @ rows.T
        total += float(np.exp(-t * sq).sum()) - block.stop + block.start  # drop i == j
    return float(np.log(total / (n * (n - 1))))


def linear_separability(x: ArrayLike, y: ArrayLike, max_pairs: int = 1000,
                        seed: int = 0) -> float:
    """Held-out accuracy of a logistic regression telling x rows from y rows.

    Pairs are split 70/30 as pairs (both halves of a pair on the same side); at most
    ``max_pairs`` pairs, drawn at random, are used. 0.5 is chance, 1.0 perfectly separable.

    Introduced in chapter 1 (The gap).
    """
    n, _ = _check_pair(x, y)
    if n < 4:
        raise ValueError("linear_separability needs at least 4 pairs")
    index = _sample(n, max_pairs, seed, "max_pairs")
    cx, cy = _rows(x, index, "x"), _rows(y, index, "y")
    train, test = train_test_split(np.arange(len(index)), test_size=0.3, random_state=seed)

    def stack(part):
        return (np.vstack([cx[part], cy[part]]),
                np.r_[np.ones(len(part)), np.zeros(len(part))])

    classifier = LogisticRegression(max_iter=1000).fit(*stack(train))
    return float(classifier.score(*stack(test)))


def recall_at_k(x: ArrayLike, y: ArrayLike, k: int = 1, max_queries: int = 1000,
                seed: int = 0) -> float:
    """Image-to-text retrieval: the fraction of x_i whose own y_i ranks in the top k of all y
    (chapter 1).

    Queries: all rows when N <= max_queries, else a seeded random subset; candidates are
    always all N rows, read in chunks and compared in float32. Ties (cosines within
    ``TIE`` = 1e-6, the float32 rounding) count against the true pair.
    """
    n, _ = _check_pair(x, y)
    if not 1 <= k <= n:
        raise ValueError(f"k must be in [1, N={n}], got {k}")
    return float(np.mean(_rivals(x, y, max_queries, seed) < k))


def _rivals(x, y, max_queries: int, seed: int,
            tick: Callable[[int], None] | None = None) -> np.ndarray:
    """For each sampled query x_i: how many other y_j are at least as close as y_i.

    Cosines are compared in float32 (a ranking, not a sum: ties within ``TIE`` are handled).
    """
    queries = _sample(len(x), max_queries, seed, "max_queries")
    qx = _rows(x, queries, "x").astype(np.float32)  # float32: twice the speed of float64
    own = np.einsum("ij,ij->i", qx, _rows(y, queries, "y").astype(np.float32))
    rivals = np.zeros(len(queries), dtype=np.int64)
    for rows in _chunks(len(y)):
        sims = qx @ _rows(y, rows, "y").astype(np.float32).T
        mine = (queries >= rows.start) & (queries < rows.stop)
        sims[np.flatnonzero(mine), queries[mine] - rows.start] = -np.inf  # not its own rival
        rivals += np.count_nonzero(sims >= own[:, None] - TIE, axis=1)
        if tick:
            tick(rows.stop - rows.start)
    return rivals


#: A short description of each field of ``Measurement``, for tables.
LABELS = {
    "n": "pairs",
    "dim": "dimension",
    "centroid_distance": "gap ‖mean x − mean y‖",
    "rmg": "relative modality gap",
    "linear_separability": "linear separability (held-out accuracy)",
    "paired_cosine": "mean cosine of true pairs",
    "mean_cosine_x": "mean cosine within x",
    "mean_cosine_y": "mean cosine within y",
    "alignment": "alignment (mean ‖x_i − y_i‖²)",
    "uniformity_x": "uniformity of x",
    "uniformity_y": "uniformity of y",
    "recall_at_1": "recall@1, x → y",
    "recall_at_5": "recall@5, x → y",
}


@dataclass(frozen=True)
class Measurement:
    """Every metric of a paired set, as ``measure`` returns it (chapter 1)."""

    n: int
    dim: int
    centroid_distance: float
    rmg: float
    linear_separability: float
    paired_cosine: float
    mean_cosine_x: float
    mean_cosine_y: float
    alignment: float
    uniformity_x: float
    uniformity_y: float
    recall_at_1: float
    recall_at_5: float | None  # None with fewer than 5 pairs, where it is undefined

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def measure(x: ArrayLike, y: ArrayLike, seed: int = 0,
            progress: Callable[[int, int], None] | None = None) -> Measurement:
    """All the metrics of chapter 1 for one paired set, in two passes over the rows (the
    first-order sums, then recall) plus small samples. ``progress(done, total)`` is called
    after each chunk, counting rows over both passes (``gapkit measure``'s progress bar).
    """
    n, d = _check_pair(x, y)
    done = 0

    def tick(rows: int) -> None:
        nonlocal done
        done += rows
        progress(done, 2 * n)

    s = _sums(x, y, tick if progress else None)
    rivals = _rivals(x, y, max_queries=1000, seed=seed, tick=tick if progress else None)
    return Measurement(
        n=n, dim=d,
        centroid_distance=float(np.linalg.norm((s.sum_x - s.sum_y) / n)),
        rmg=_rmg(s),
        linear_separability=linear_separability(x, y, seed=seed),
        paired_cosine=s.paired_cos / n,
        mean_cosine_x=_mean_cosine_from_sum(s.sum_x, n),
        mean_cosine_y=_mean_cosine_from_sum(s.sum_y, n),
        # ‖x − y‖² = 2 − 2 cos for unit rows: alignment (α = 2) from the same pass
        alignment=2 - 2 * s.paired_cos / n,
        uniformity_x=uniformity(x, seed=seed),
        uniformity_y=uniformity(y, seed=seed),
        recall_at_1=float(np.mean(rivals < 1)),
        recall_at_5=float(np.mean(rivals < 5)) if n >= 5 else None,
    )


def bootstrap(metric, x: ArrayLike, y: ArrayLike, resamples: int = 200,
              seed: int = 0) -> np.ndarray:
    """``metric(x[i], y[i])`` over ``resamples`` resamplings of the pairs with replacement:
    how much the number would move with another sample of the same size.

    Introduced in chapter 1 (The gap)."""
    x, y = paired(x, y)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(x), size=(resamples, len(x)))
    return np.array([metric(x[index], y[index]) for index in draws])


def clip_loss(x: ArrayLike, y: ArrayLike, temperature: float, batch_size: int = 50,
              symmetric: bool = True) -> float:
    """The symmetric CLIP loss of paired embeddings, as the paper states it (chapter 4).

    Rows are L2-normalised; pairs are cut into consecutive batches of ``batch_size``; each
    batch's loss is open_clip's ``ClipLoss`` (mean of the image→text and text→image
    cross-entropies with logits cos/τ), and the result is the plain mean over batches. When N
    is not a multiple of ``batch_size`` the last, shorter batch counts as one batch; a last
    batch of a single pair is dropped, since its loss is 0 whatever the embeddings.
    ``symmetric=False`` gives the image→text cross-entropy alone: what the authors' notebook
    computes, adding that term twice where the text→image one belongs, and halving.
    """
    import torch
    from open_clip.loss import ClipLoss

    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if batch_size < 2:
        raise ValueError(f"batch_size must be at least 2, got {batch_size}")
    x, y = paired(x, y)
    scale = torch.tensor(1 / temperature, dtype=torch.float64)

    def image_to_text(images, texts, scale):
        logits = scale * images @ texts.T
        return torch.nn.functional.cross_entropy(logits, torch.arange(len(logits)))

    loss = ClipLoss() if symmetric else image_to_text
    losses = [loss(torch.from_numpy(x[rows]), torch.from_numpy(y[rows]), scale).item()
              for rows in _chunks(len(x), size=batch_size) if rows.stop - rows.start >= 2]
    if not losses:
        raise ValueError("clip_loss needs at least 2 pairs")
    return float(np.mean(losses))


def zero_shot(images: ArrayLike, prompts: ArrayLike) -> np.ndarray:
    """Zero-shot predictions: for each image, the index of the prompt of highest cosine
    (chapter 5). Images are read in chunks; prompts (one per class) are held in memory."""
    prompts = normalize_rows(prompts, "prompts")
    _check_shape(images, "images")
    _one_space(images, prompts, "images", "prompts")
    return np.concatenate([(_rows(images, rows, "images") @ prompts.T).argmax(axis=1)
                           for rows in _chunks(len(images))])


def top1_of_cosines(cosines: np.ndarray) -> np.ndarray:
    """For a square matrix of cosines with the true pairs on its diagonal, whether each row
    ranks its own pair first (chapter 5). Ties within ``TIE`` count against the true pair,
    as in ``recall_at_k``; use ``cosines.T`` for the other direction."""
    cosines = np.asarray(cosines)
    if cosines.ndim != 2 or cosines.shape[0] != cosines.shape[1]:
        raise ValueError(f"cosines must be a square matrix, got shape {cosines.shape}")
    own = np.diagonal(cosines)
    return np.count_nonzero(cosines >= own[:, None] - TIE, axis=1) == 1  # only itself


def paired_difference(a: ArrayLike, b: ArrayLike, resamples: int = 2000,
                      seed: int = 0) -> tuple[float, float, float]:
    """Mean of b − a and a 95% paired-bootstrap interval (chapter 5).

    ``a`` and ``b`` are per-item scores of two methods on the same items (e.g. 0/1 correct
    before and after a shift): resampling items keeps each item's pair of scores together.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"a and b must be two 1-D arrays of the same length, got shapes "
                         f"{a.shape} and {b.shape}")
    difference = b - a
    draws = np.random.default_rng(seed).integers(0, len(a), size=(resamples, len(a)))
    means = difference[draws].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(difference.mean()), float(low), float(high)


def seed_interval(values: ArrayLike, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of one number over independently seeded runs, and its Student-t interval
    (chapters 3 and 4, three seeds in the ``full`` profile).

    With one run there is no spread to estimate: the interval is (nan, nan).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(f"values must be a non-empty 1-D array, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("values must be finite (a run that diverged has no place in a mean)")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    mean = float(values.mean())
    if len(values) == 1:
        return mean, math.nan, math.nan
    from scipy import stats  # here: importing it costs `gapkit measure` a third of a second

    half = stats.t.ppf((1 + level) / 2, len(values) - 1) * stats.sem(values)
    return mean, float(mean - half), float(mean + half)


def logit_entropy(images: ArrayLike, texts: ArrayLike, temperature: float) -> float:
    """Mean entropy (nats) of each image's softmax over ``texts`` at ``temperature``, the
    quantity Schrodi et al. (2025) tie to the gap (chapter 6). log(len(texts)) is the most
    it can be: every text equally likely."""
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    texts = normalize_rows(texts, "texts")
    _check_shape(images, "images")
    _one_space(images, texts, "images", "texts")
    total = 0.0
    for rows in _chunks(len(images)):
        log_p = log_softmax(_rows(images, rows, "images") @ texts.T / temperature, axis=1)
        total += float(-(np.exp(log_p) * log_p).sum())
    return total / len(images)


def gap_dimensions(x: ArrayLike, y: ArrayLike, share: float = 0.9) -> int:
    """The fewest coordinates that hold ``share`` of ‖Δ‖², the squared gap vector: few
    when a handful of dimensions carry the gap, as Schrodi et al. (2025) found (chapter 6).
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must lie in (0, 1], got {share}")
    squares = np.sort(gap_vector(x, y) ** 2)[::-1]
    if squares.sum() == 0:
        raise ValueError("x and y have the same centroid: there is no gap to share out")
    held = np.cumsum(squares) / squares.sum()
    return int(np.searchsorted(held, share - 1e-12) + 1)


def mixed_retrieval(queries: ArrayLike, images: ArrayLike, texts: ArrayLike,
                    relevant: np.ndarray) -> tuple[float, float]:
    """Text queries against one corpus of ``images`` and ``texts`` together (chapter 6,
    after Li et al., 2025): the share of queries whose nearest item is an image, and the
    share whose nearest item is a relevant image (``relevant[q, i]``: image i answers
    query q). Texts equal to the query (cosine 1) are left out of its corpus."""
    queries = normalize_rows(queries, "queries")
    images, texts = normalize_rows(images, "images"), normalize_rows(texts, "texts")
    _one_space(queries, images, "queries", "images")
    _one_space(queries, texts, "queries", "texts")
    relevant = np.asarray(relevant, dtype=bool)
    if relevant.shape != (len(queries), len(images)):
        raise ValueError(f"relevant must have shape {(len(queries), len(images))}, got "
                         f"{relevant.shape}")
    to_images, to_texts = queries @ images.T, queries @ texts.T
    to_texts[to_texts > 1 - TIE] = -np.inf  # the query itself
    best_image = to_images.argmax(axis=1)
    image_first = to_images.max(axis=1) > to_texts.max(axis=1)
    hit = image_first & relevant[np.arange(len(queries)), best_image]
    return float(image_first.mean()), float(hit.mean())
