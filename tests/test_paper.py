"""The paper's features: local folder, cache, download (against a server on loopback,
the ``served`` fixture of conftest.py)."""

import os
from pathlib import Path

import numpy as np
import pytest
from conftest import ARRAY, dead_url

from gapkit.data import paper
from gapkit.data.paper import ChecksumError, DataUnavailable


def cached_file(cache):
    return cache / "paper-features" / "features_clasp.npy"


def test_download_verifies_and_caches(served):
    url, _, cache = served
    x, y = paper.paper_features("clasp", base_url=url)
    np.testing.assert_array_equal(x, ARRAY[0])
    np.testing.assert_array_equal(y, ARRAY[1])
    assert cached_file(cache).exists()
    # the second call reads the cache: the server is not needed any more
    x2, _ = paper.paper_features("clasp", base_url=dead_url())
    np.testing.assert_array_equal(x2, x)


def test_a_bad_checksum_is_refused_and_leaves_nothing(served, monkeypatch):
    url, _, cache = served
    entry = paper.PAPER_FEATURES["clasp"]
    monkeypatch.setitem(paper.PAPER_FEATURES, "clasp", (*entry[:3], "0" * 64))
    with pytest.raises(ChecksumError, match="not the pinned file"):
        paper.paper_features("clasp", base_url=url)
    assert not any((cache / "paper-features").iterdir())


def test_a_truncated_download_is_an_error_and_leaves_nothing(served):
    url, _, cache = served
    with pytest.raises(DataUnavailable, match="cannot download"):
        paper.paper_file("clasp", base_url=url + "truncated/")
    assert not any((cache / "paper-features").iterdir())


def test_a_corrupt_cached_file_is_replaced(served):
    url, _, cache = served
    paper.paper_features("clasp", base_url=url)
    cached_file(cache).write_bytes(b"half a file")
    with pytest.warns(UserWarning, match="corrupt"):
        x, _ = paper.paper_features("clasp", base_url=url)
    np.testing.assert_array_equal(x, ARRAY[0])


def test_the_data_folder_comes_first(served, monkeypatch):
    _, folder, cache = served
    monkeypatch.setenv("GAPKIT_DATA_DIR", str(folder))
    assert paper.paper_file("clasp", base_url=dead_url()) == folder / "features_clasp.npy"
    assert not cached_file(cache).exists()


def test_a_data_folder_that_is_not_there_is_an_error_not_a_stand_in(served, monkeypatch,
                                                                    tmp_path):
    url, _, _ = served
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GAPKIT_DATA_DIR", "../no-such-folder")
    for ask in (paper.paper_file, paper.paper_available):
        with pytest.raises(NotADirectoryError, match=r"GAPKIT_DATA_DIR=\.\./no-such-folder"
                           " is not a folder"):
            ask("clasp", base_url=url)  # served, but the reader named a folder
    (tmp_path / "empty").mkdir()  # a folder without the file: the cache, then the server
    monkeypatch.setenv("GAPKIT_DATA_DIR", "empty")
    assert paper.paper_available("clasp", base_url=url)


def test_a_wrong_file_in_the_data_folder_is_reported_not_overwritten(served, monkeypatch):
    _, folder, _ = served
    (folder / "features_clasp.npy").write_bytes(b"something else")
    monkeypatch.setenv("GAPKIT_DATA_DIR", str(folder))
    with pytest.raises(ChecksumError, match="features_clasp.npy has SHA-256"):
        paper.paper_file("clasp")
    assert (folder / "features_clasp.npy").read_bytes() == b"something else"


def test_server_down_with_require_data_is_an_error(served, monkeypatch):
    monkeypatch.setenv("GAPKIT_REQUIRE_DATA", "1")
    with pytest.raises(DataUnavailable, match="GAPKIT_REQUIRE_DATA"):
        paper.paper_available("clasp", base_url=dead_url())
    with pytest.raises(DataUnavailable, match="cannot download"):
        paper.paper_features("clasp", base_url=dead_url())


def test_server_down_is_an_error_not_a_stand_in(served):
    """data.paper reads files and trains nothing: no file, no features."""
    with pytest.raises(DataUnavailable, match="cannot download"):
        paper.paper_features("clasp", base_url=dead_url())
    assert not hasattr(paper, "book_features")


def test_data_paper_does_not_import_training():
    """Issue #14: no import cycle, hidden or not, between data.paper and train."""
    import ast

    tree = ast.parse(Path(paper.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names} | {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"train", "models", "gapkit.train", "gapkit.models"}


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown feature set 'dalle'"):
        paper.paper_features("dalle")


@pytest.mark.skipif(not os.environ.get("GAPKIT_DATA_DIR"), reason="GAPKIT_DATA_DIR not set")
def test_the_real_files_match_the_papers_readme():
    """In CI (GAPKIT_DATA_DIR and GAPKIT_REQUIRE_DATA set) all eight real files load."""
    dims = {"clip": (500, 512), "convirt": (500, 512), "videoclip": (100, 768),
            "clasp": (99, 768)}
    for name in paper.PAPER_FEATURES:
        x, y = paper.paper_features(name, base_url=dead_url())
        assert x.shape == y.shape == dims[name.removesuffix("_random")]
        assert np.isfinite(x).all() and np.isfinite(y).all()


def test_paper_available_says_whether_the_real_file_is_there(served):
    url, _, _ = served
    assert not paper.paper_available("clasp", base_url=dead_url())
    assert paper.paper_available("clasp", base_url=url)
    assert paper.paper_available("clasp", base_url=dead_url())  # now cached
