"""The paper's features: local folder, cache, download (against a server on loopback)."""

import hashlib
import http.server
import os
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from gapkit.data import paper
from gapkit.data.paper import ChecksumError, DataUnavailable

ARRAY = np.random.default_rng(0).normal(size=(2, 5, 4)).astype(np.float32)


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A fake 'clasp' file on a loopback HTTP server; the pinned checksum points at it."""
    folder = tmp_path / "served"
    folder.mkdir()
    np.save(folder / "features_clasp.npy", ARRAY)
    digest = hashlib.sha256((folder / "features_clasp.npy").read_bytes()).hexdigest()
    entry = paper.PAPER_FEATURES["clasp"]
    monkeypatch.setitem(paper.PAPER_FEATURES, "clasp", (*entry[:3], digest))
    monkeypatch.setenv("GAPKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("GAPKIT_DATA_DIR", raising=False)
    monkeypatch.delenv("GAPKIT_REQUIRE_DATA", raising=False)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path.startswith("/truncated/"):  # promise more bytes than are sent
                body = (folder / Path(self.path).name).read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
                return
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", folder, tmp_path / "cache"
    server.shutdown()


def dead_url():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/"


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
        paper.paper_features("clasp", base_url=dead_url())


def test_server_down_falls_back_to_the_books_clip_with_one_line(served, monkeypatch):
    calls = []
    monkeypatch.setattr(paper, "book_features", lambda name: calls.append(name) or (1, 2))
    with pytest.warns(UserWarning, match="not available offline") as record:
        assert paper.paper_features("clasp", base_url=dead_url()) == (1, 2)
    assert calls == ["clasp"] and "\n" not in str(record[0].message)


def test_the_fallback_gives_the_papers_number_of_pairs(monkeypatch, tmp_path):
    from gapkit import train

    monkeypatch.setenv("GAPKIT_CACHE", str(tmp_path))
    monkeypatch.setenv("GAPKIT_DEVICE", "cpu")
    small = train.TrainConfig(steps=2, eval_every=2, eval_images=8, batch_size=16)
    monkeypatch.setattr(train, "TrainConfig", lambda: small)
    for name in ("clasp", "clasp_random"):
        x, y = paper.book_features(name)
        assert x.shape == y.shape == (99, 64)


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
