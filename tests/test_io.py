import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapkit import io, metrics


def shards(folder, array, cuts):
    """Save a (2, N, D) array as shard files split at ``cuts``; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, part in enumerate(np.split(array, cuts, axis=1)):
        np.save(folder / f"part-{k:04d}.npy", part)
    return folder


@st.composite
def stored(draw):
    n, d = draw(st.integers(1, 30)), draw(st.integers(1, 5))
    dtype = draw(st.sampled_from([np.float32, np.float64, ">f4", np.int16]))
    array = np.random.default_rng(draw(st.integers(0, 99))).normal(size=(2, n, d)) * 100
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=4)))
    return array.astype(dtype), cuts


keys = st.one_of(
    st.integers(-30, 29),
    st.builds(slice, st.none() | st.integers(-35, 35), st.none() | st.integers(-35, 35),
              st.none() | st.integers(1, 4) | st.integers(-4, -1)),
    st.lists(st.integers(-30, 29), max_size=12).map(lambda a: np.array(a, dtype=np.int64)),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored(), st.lists(keys, min_size=1, max_size=4))
def test_on_disk_rows_read_like_the_array(tmp_path_factory, data, index_keys):
    array, cuts = data
    folder = tmp_path_factory.mktemp("shards")
    np.save(folder / "whole.npy", array)
    n = array.shape[1]
    for x, y in (io.load_pairs(folder / "whole.npy"), io.load_pairs(shards(folder / "s", array,
                                                                          cuts))):
        assert x.shape == array[0].shape and x.dtype == array.dtype and len(y) == n
        np.testing.assert_array_equal(np.asarray(y), array[1])
        for key in index_keys:
            if isinstance(key, (int, np.ndarray)) and np.any((np.asarray(key) >= n)
                                                             | (np.asarray(key) < -n)):
                with pytest.raises(IndexError):
                    x[key]
                continue
            np.testing.assert_array_equal(x[key], array[0][key])
            np.testing.assert_array_equal(y[key], array[1][key])


def test_read_reuses_one_buffer_and_getitem_does_not(tmp_path):
    array = np.arange(2 * 10 * 3, dtype=np.float32).reshape(2, 10, 3)
    np.save(tmp_path / "a.npy", array)
    x, _ = io.load_pairs(tmp_path / "a.npy")
    first = x.read(slice(0, 4))
    np.testing.assert_array_equal(first, array[0, :4])
    second = x.read(slice(4, 8))
    assert np.shares_memory(first, second)
    np.testing.assert_array_equal(second, array[0, 4:8])
    copy = x[0:4]
    x.read(slice(6, 10))
    np.testing.assert_array_equal(copy, array[0, :4])
    assert x[:, 1].tolist() == array[0, :, 1].tolist()
    assert x.read(slice(5, 5)).shape == (0, 3)
    for index in (np.array([0.0, 1.0]), np.array([[0, 1]])):
        with pytest.raises(IndexError, match="index rows with"):
            x[index]


def test_a_version_2_header_is_read(tmp_path):
    array = np.arange(2 * 4 * 3, dtype=np.float64).reshape(2, 4, 3)
    with open(tmp_path / "v2.npy", "wb") as file:
        np.lib.format.write_array(file, array, version=(2, 0))
    x, y = io.load_pairs(tmp_path / "v2.npy")
    np.testing.assert_array_equal(np.asarray(y), array[1])


def test_remove_takes_a_link_away_and_leaves_what_it_points_to(tmp_path):
    folder = tmp_path / "kept"
    folder.mkdir()
    file = npy(folder / "a.npy", np.ones(2))
    (tmp_path / "link").symlink_to(folder)
    io.remove(tmp_path / "link")
    assert file.exists() and not (tmp_path / "link").is_symlink()
    io.remove(file)
    io.remove(folder)
    (tmp_path / "dangling").symlink_to(tmp_path / "never there")
    io.remove(tmp_path / "dangling")
    io.remove(tmp_path / "never there")
    assert list(tmp_path.iterdir()) == []


def test_a_pass_over_a_file_holds_one_chunk_not_the_file(tmp_path, monkeypatch):
    rows, dim = 100_000, 32  # x alone: 12.8 MB on disk, 25.6 MB in float64
    rng = np.random.default_rng(0)
    np.save(tmp_path / "big.npy", rng.standard_normal((2, rows, dim), dtype=np.float32))
    x, y = io.load_pairs(tmp_path / "big.npy")
    monkeypatch.setattr(metrics, "CHUNK", 1000)
    tracemalloc.start()
    try:
        metrics.mean_cosine(x)
        metrics.centroid_distance(x, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2e6  # a chunk is 1000 x 32 x 8 bytes = 0.26 MB


def test_measure_on_disk_equals_measure_in_memory(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    centre = rng.normal(size=16)
    array = np.stack([rng.normal(size=(700, 16)) + centre,
                      rng.normal(size=(700, 16)) - centre]).astype(np.float32)
    np.save(tmp_path / "pairs.npy", array)
    expected = metrics.measure(array[0], array[1]).as_dict()
    monkeypatch.setattr(metrics, "CHUNK", 64)  # many chunks, none aligned with the shards
    sources = [(tmp_path / "pairs.npy",), (shards(tmp_path / "s", array, [100, 333, 650]),)]
    np.save(tmp_path / "x.npy", array[0])
    np.save(tmp_path / "y.npy", array[1])
    sources.append((tmp_path / "x.npy", tmp_path / "y.npy"))
    for paths in sources:
        for key, value in metrics.measure(*io.load_pairs(*paths)).as_dict().items():
            assert value == pytest.approx(expected[key], rel=1e-12, abs=1e-12), (paths, key)
    assert metrics.load_pairs is io.load_pairs  # its old home still works


def test_progress_counts_both_passes():
    x = np.random.default_rng(0).normal(size=(50, 4))
    calls = []
    metrics.measure(x, x + 1, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (100, 100) and all(total == 100 for _, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_join_shards_streams_into_one_file(tmp_path):
    array = np.random.default_rng(2).normal(size=(2, 23, 5)).astype(np.float32)
    out = io.join_shards(shards(tmp_path / "s", array, [0, 7, 7, 20]), tmp_path / "all.npy")
    np.testing.assert_array_equal(np.load(out), array)
    assert not list(tmp_path.glob("*.partial"))


def test_save_npy_atomic(tmp_path):
    path = io.save_npy_atomic(np.ones((2, 3)), tmp_path / "a.npy")
    np.testing.assert_array_equal(np.load(path), np.ones((2, 3)))
    assert [p.name for p in tmp_path.iterdir()] == ["a.npy"]


def test_a_write_that_fails_halfway_leaves_the_old_file_and_nothing_else(tmp_path):
    path = io.save_npy_atomic(np.ones((2, 3)), tmp_path / "a.npy")
    with pytest.raises(OSError, match="disk full"), io.atomic_write(path) as file:
        file.write(b"half a file")
        raise OSError("disk full")
    np.testing.assert_array_equal(np.load(path), np.ones((2, 3)))
    assert [p.name for p in tmp_path.iterdir()] == ["a.npy"]


def test_two_writers_of_one_path_do_not_share_a_temporary_file(tmp_path):
    path = tmp_path / "a.bin"
    with io.atomic_write(path) as first, io.atomic_write(path) as second:
        first.write(b"first, whole")
        second.write(b"second")  # with one shared name this truncated the first's bytes
    assert path.read_bytes() == b"first, whole"  # the last renamed wins, whole
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def npy(path, array):
    np.save(path, array)
    return path


@pytest.mark.parametrize("make, error, message", [
    (lambda p: [p / "missing.npy"], FileNotFoundError, "no such file"),
    (lambda p: [p.joinpath("bad.npy").write_bytes(b"\x93NUMPY garbage") and p / "bad.npy"],
     ValueError, "not a readable .npy"),
    (lambda p: [npy(p / "x.npy", np.ones((3, 4)))], ValueError, r"must hold shape \(2, N, D\)"),
    (lambda p: [npy(p / "x.npy", np.ones((3, 4, 5)))], ValueError,
     r"must hold shape \(2, N, D\)"),
    (lambda p: [npy(p / "s.npy", np.array([["a"]]))], ValueError, "not numbers"),
    (lambda p: [npy(p / "f.npy", np.asfortranarray(np.ones((2, 3, 4))))], ValueError,
     "Fortran order"),
    (lambda p: [npy(p / "f.npy", np.asfortranarray(np.ones((2, 1, 4))))], ValueError,
     "Fortran order"),
    (lambda p: [p / "x.npy"] * 3, ValueError, "one .* file or shard folder, or two"),
    (lambda p: [npy(p / "a.npy", np.ones((2, 3, 4))), npy(p / "b.npy", np.ones((3, 4)))],
     ValueError, r"must hold shape \(N, D\)"),
])
def test_bad_files_are_named(tmp_path, make, error, message):
    with pytest.raises(error, match=message):
        io.load_pairs(*make(tmp_path))


def test_truncated_files_and_bad_folders(tmp_path):
    data = npy(tmp_path / "t.npy", np.ones((2, 30, 4))).read_bytes()
    (tmp_path / "t.npy").write_bytes(data[:-8])
    with pytest.raises(ValueError, match="t.npy is truncated"):
        io.load_pairs(tmp_path / "t.npy")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no .npy shard files"):
        io.load_pairs(tmp_path / "empty")
    folder = tmp_path / "mixed"
    folder.mkdir()
    npy(folder / "a.npy", np.ones((2, 3, 4)))
    npy(folder / "b.npy", np.ones((2, 3, 5)))
    with pytest.raises(ValueError, match="differ in dimension"):
        io.load_pairs(folder)
