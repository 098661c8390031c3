"""The chapter pipeline: every notebook page of ``_toc.yml`` as an ``.ipynb`` for nbval.

nbval collects ``.ipynb`` files only, and the book keeps its notebooks as MyST Markdown,
so ``make test`` first converts them with jupytext into a build folder:

    python tests/chapters.py _build/nbval
    pytest --nbval-lax --nbval-current-env _build/nbval
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import jupytext
import yaml


def toc_files(root: Path) -> list[Path]:
    """The source file of every page in ``root/_toc.yml``, in reading order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    names: list[str] = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                names.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({key: value for key, value in toc.items() if key != "root"})
    paths = []
    for name in names:
        candidates = [root / f"{name}{suffix}" for suffix in (".md", ".ipynb")]
        found = [path for path in candidates if path.exists()]
        if not found:
            raise FileNotFoundError(f"_toc.yml lists {name!r}, but no {name}.md or .ipynb exists")
        paths.append(found[0])
    return paths


def is_notebook(path: Path) -> bool:
    """A page is executable when its front matter names a kernel (jupytext's header)."""
    return "kernelspec" in jupytext.read(path).metadata


def convert(root: Path, out: Path) -> list[Path]:
    """Write every executable page of the book under ``out`` as ``.ipynb``; return the paths.

    ``out`` is emptied first so a page removed from the book is not tested any more. A
    cell the book does not execute (tag ``skip-execution``: long solutions) nbval skips.
    """
    shutil.rmtree(out, ignore_errors=True)
    written = []
    for source in toc_files(root):
        if not is_notebook(source):
            continue
        target = out / source.relative_to(root).with_suffix(".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        notebook = jupytext.read(source)
        for cell in notebook.cells:  # the book's skip tag (myst-nb) is nbval's too
            tags = cell.metadata.get("tags", [])
            if "skip-execution" in tags:
                cell.metadata["tags"] = [*tags, "nbval-skip"]
        jupytext.write(notebook, target)
        written.append(target)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/chapters.py OUT_DIR")
    for path in convert(Path.cwd(), Path(sys.argv[1])):
        print(f"converted {path}")
