"""The book's own Sphinx extension (book/_ext/launch.py) and launch notebooks."""

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from docutils import nodes
from docutils.utils import new_document
from sphinx_exercise.nodes import solution_end_node, solution_node, solution_start_node

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import launch  # noqa: E402


def page_with_solutions():
    document = new_document("page")
    for node in (nodes.paragraph(text="exercise"), solution_start_node(),
                 nodes.paragraph(text="worked answer"), nodes.literal_block(text="code"),
                 solution_end_node(), nodes.paragraph(text="summary"), solution_node()):
        document += node
    return document


@pytest.mark.parametrize("edition, kept", [
    ("student", ["exercise", "summary"]),
    ("teacher", ["exercise", "worked answer", "summary"]),
])
def test_the_student_edition_drops_every_solution(monkeypatch, edition, kept):
    monkeypatch.setenv("BOOK_EDITION", edition)
    document = page_with_solutions()
    launch.drop_solutions(None, document)
    assert [p.astext() for p in document.findall(nodes.paragraph)] == kept
    assert bool(list(document.findall(nodes.literal_block))) == (edition == "teacher")


def test_an_unknown_edition_is_refused(monkeypatch):
    monkeypatch.setenv("BOOK_EDITION", "draft")
    with pytest.raises(ValueError, match="teacher or student"):
        launch.drop_solutions(None, page_with_solutions())


def test_launch_buttons_are_pointed_at_the_notebook_branch():
    app = SimpleNamespace(config=SimpleNamespace(launch_branch="notebooks"))
    context = {"header_buttons": [{"type": "group", "buttons": [
        {"text": "Colab", "url": "https://colab.research.google.com/github/o/r/blob/main/"
                                 "chapters/05_shifting.md"},
        {"text": "Binder", "url": "https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/"
                                  "chapters/05_shifting.md"}]}]}
    launch.point_at_notebooks(app, "chapters/05_shifting", "page.html", context, None)
    colab, binder = context["header_buttons"][0]["buttons"]
    assert colab["url"].endswith("/github/o/r/blob/notebooks/chapters/05_shifting.ipynb")
    assert binder["url"] == ("https://mybinder.org/v2/gh/o/r/notebooks?urlpath=lab/tree/"
                             "chapters/05_shifting.ipynb")


def test_the_repository_placeholder_is_filled_from_the_configuration():
    app = SimpleNamespace(config=SimpleNamespace(
        html_theme_options={"repository_url": "https://github.com/o/r/"}))
    source = ["git clone @REPOSITORY@"]
    launch.fill_repository(app, "book/running", source)
    assert source == ["git clone https://github.com/o/r"]


def test_launch_notebooks_get_a_setup_cell_in_front_of_the_executed_page(tmp_path):
    import jupytext
    import nbformat
    import yaml
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    sys.path.insert(0, str(ROOT / "book"))
    import notebooks

    with pytest.raises(FileNotFoundError, match="build the book first"):
        notebooks.write(tmp_path / "cache", tmp_path / "out")
    cache = get_cache(str(tmp_path / "cache"))
    pages = [p for p in notebooks.chapters.toc_files(ROOT) if notebooks.chapters.is_notebook(p)]
    for source in pages:
        executed = jupytext.read(source)
        first = next(c for c in executed.cells if c.cell_type == "code")
        first.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
        cache.cache_notebook_bundle(CacheBundleIn(executed, str(source)),
                                    check_validity=False)
    written = notebooks.write(tmp_path / "cache", tmp_path / "out")
    assert [p.relative_to(tmp_path / "out") for p in written] == \
        [p.relative_to(ROOT).with_suffix(".ipynb") for p in pages]
    book = nbformat.read(written[-1], as_version=4)
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert f"gapkit @ git+{url}" in book.cells[0].source
    assert any(output.get("text") == "ran\n" for cell in book.cells[1:]
               for output in cell.get("outputs", []))  # the cached outputs came along
