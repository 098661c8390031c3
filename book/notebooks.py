"""Runnable notebooks for the launch buttons: ``python book/notebooks.py CACHE OUT``.

``CACHE`` is the book build's execution cache (``_build/.jupyter_cache``), which holds every
executed page's outputs. Each page is written to ``OUT`` as an ``.ipynb`` under its own path,
with its outputs and one cell in front that installs gapkit when it is missing (Colab,
Binder) and names the device it will use, so a reader's first click runs. The repository
comes from ``_config.yml``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat
import yaml
from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import chapters  # noqa: E402 -- the book's page list, shared with the tests

SETUP = '''# Run this first. On Colab or Binder it installs the book's helper package, gapkit,
# with loose pins that keep the runtime's own PyTorch; locally it does nothing.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("gapkit") is None:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet",
                           "gapkit @ git+{repository}", "myst-nb"])
from gapkit import runtime

print(runtime.describe())  # a GPU runtime is picked up: device = cuda'''


def repository() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"].rstrip("/")


def write(cache_path: Path, out: Path) -> list[Path]:
    """The launch notebook of every executable page; returns the paths written."""
    if not (cache_path / "global.db").exists():
        raise FileNotFoundError(f"no execution cache at {cache_path}: build the book first")
    cache, written = get_cache(str(cache_path)), []
    setup = nbformat.v4.new_code_cell(SETUP.format(repository=repository()))
    setup.metadata["tags"] = ["launch-setup"]
    for source in chapters.toc_files(ROOT):
        if not chapters.is_notebook(source):
            continue
        page = source.relative_to(ROOT).with_suffix(".ipynb")
        try:
            _, notebook = cache.merge_match_into_notebook(jupytext.read(source))
        except KeyError:
            raise FileNotFoundError(f"{source.relative_to(ROOT)} has no executed outputs in "
                                    f"{cache_path}: build the book first") from None
        notebook.cells.insert(0, setup)
        target = out / page
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        nbformat.write(notebook, partial)
        partial.replace(target)
        written.append(target)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python book/notebooks.py CACHE_DIR OUT_DIR")
    for path in write(Path(sys.argv[1]), Path(sys.argv[2])):
        print(f"wrote {path}")
