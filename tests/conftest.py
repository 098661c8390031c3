"""Shared fixtures: a figure backend without a screen, the paper's files served on
loopback (``served``, ``dead_url``), and CUDA graphs where they can be tested
(``cuda_graphs``)."""

import hashlib
import http.server
import socket
import threading
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch

from gapkit import runtime
from gapkit.data import paper

matplotlib.use("Agg")  # tests draw figures without a screen

ARRAY = np.random.default_rng(0).normal(size=(2, 5, 4)).astype(np.float32)


@pytest.fixture
def cuda_graphs():
    """For the tests of steps replayed as CUDA graphs: skipped without CUDA, and where the
    environment asks for eager training (``GAPKIT_CUDA_GRAPHS=0``), so that the GPU check
    can still run the pages eagerly if the graphs fail there."""
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device: CUDA graphs exist only there; the GPU check runs this")
    if not runtime.cuda_graphs():
        pytest.skip("GAPKIT_CUDA_GRAPHS=0: training is eager")


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
