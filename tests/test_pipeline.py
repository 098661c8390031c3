"""The chapter pipeline finds every notebook of the book, and a failing cell fails the run."""

import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import chapters  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A page

```{code-cell} ipython3
"""


def make_book(root: Path, code: str) -> Path:
    """A one-page book with the repository's own configuration."""
    (root / "book").mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", root)
    shutil.copy(ROOT / "book" / "references.bib", root / "book")
    shutil.copytree(ROOT / "book" / "_ext", root / "book" / "_ext")  # local extensions
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/page\n")
    (root / "book" / "page.md").write_text(HEADER + code + "\n```\n")
    return root


def run_nbval(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
         "-p", "no:cacheprovider", str(folder)],
        cwd=folder, capture_output=True, text=True, timeout=300)


def test_toc_lists_the_landing_page_first_and_every_file_exists():
    files = chapters.toc_files(ROOT)
    assert files[0] == ROOT / "book" / "intro.md"
    assert all(path.exists() for path in files)


def test_toc_entry_without_a_file(tmp_path):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n"
                                       "  - file: missing\n")
    (tmp_path / "intro.md").write_text("# Intro\n")
    with pytest.raises(FileNotFoundError, match="'missing'"):
        chapters.toc_files(tmp_path)


def test_convert_writes_only_executable_pages(tmp_path):
    written = chapters.convert(ROOT, tmp_path / "nb")
    assert tmp_path / "nb" / "book" / "intro.ipynb" in written
    assert not (tmp_path / "nb" / "book" / "running.ipynb").exists()
    assert all(path.suffix == ".ipynb" for path in written)


def test_a_cell_that_raises_fails_nbval_and_a_clean_one_passes(tmp_path):
    failing = make_book(tmp_path / "failing", "1 / 0")
    passing = make_book(tmp_path / "passing", "assert 1 + 1 == 2")
    for book in (failing, passing):
        chapters.convert(book, book / "nb")
    bad, good = run_nbval(failing / "nb"), run_nbval(passing / "nb")
    assert bad.returncode != 0 and "ZeroDivisionError" in bad.stdout
    assert good.returncode == 0, good.stdout


def test_a_cell_that_raises_fails_the_book_build(tmp_path):
    book = make_book(tmp_path / "book", "1 / 0")
    result = subprocess.run([str(BIN / "jupyter-book"), "build", str(book)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "ZeroDivisionError" in result.stdout + result.stderr


def test_a_cell_the_book_skips_is_skipped_by_nbval_too(tmp_path):
    book = make_book(tmp_path / "book", ":tags: [skip-execution]\n\n1 / 0")
    chapters.convert(book, book / "nb")
    assert run_nbval(book / "nb").returncode == 0
    unskipped = make_book(tmp_path / "plain", "1 / 0")
    chapters.convert(unskipped, unskipped / "nb")
    assert run_nbval(unskipped / "nb").returncode != 0


@pytest.mark.parametrize("path", [p for p in chapters.toc_files(ROOT)
                                  if chapters.is_notebook(p)], ids=lambda p: p.stem)
def test_every_code_line_fits_the_column_in_bytes(path):
    # `make lint` counts characters; a tool that counts UTF-8 bytes (τ is two) must agree
    notebook = jupytext.read(path)
    wide = [line for cell in notebook.cells if cell.cell_type == "code"
            for line in cell.source.splitlines() if len(line.encode()) > 80]
    assert wide == []
