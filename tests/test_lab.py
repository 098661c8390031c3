"""The launchers that can be tested offline (issue "Launchers"): `make lab` starts JupyterLab
as root too, and a Jupyter server with jupytext serves a chapter's `.md` file as a notebook,
which is what lets JupyterLab open the chapters as notebooks."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "02_cone_effect.md"
TOKEN = "gapkit-test-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, token: str | None = TOKEN) -> tuple[int, dict]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {}


@pytest.fixture
def server(tmp_path):
    """A Jupyter server on a free port, serving a folder that holds one chapter."""
    root = tmp_path / "book"
    root.mkdir()
    shutil.copy(CHAPTER, root)
    port = free_port()
    # the server's own config and runtime folders, never the user's
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    command = [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={port}",
               "--ip=127.0.0.1", f"--ServerApp.root_dir={root}",
               f"--IdentityProvider.token={TOKEN}"]
    if os.getuid() == 0:
        command.append("--allow-root")
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if get(f"{base}/api/status")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, "the server did not answer in 60 s"
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_the_server_serves_a_chapter_as_a_notebook(server):
    status, model = get(f"{server}/api/contents/{CHAPTER.name}?content=1")
    assert status == 200
    assert model["type"] == "notebook" and model["format"] == "json"
    notebook = model["content"]
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code = [cell["source"] for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert len(code) > 10 and "runtime.seed_everything(0)" in code[0]
    # and nothing is served without the token
    assert get(f"{server}/api/contents/{CHAPTER.name}", token=None)[0] == 403


def test_make_lab_passes_allow_root_exactly_when_run_as_root(tmp_path):
    # -n prints the commands without running them; VENV points at a folder that is not there
    result = subprocess.run(["make", "-n", "lab", f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    (launch,) = [line for line in result.stdout.splitlines() if "jupyter lab" in line]
    assert ("--allow-root" in launch) == (os.getuid() == 0)
    assert "Jupytext Notebook" in result.stdout  # .md files open as notebooks
