"""Launch buttons that open runnable notebooks, the repository's address written once, the
student edition, and the single-page build behind ``make pdf``.

The theme's Colab and Binder buttons point at the page's source, a MyST ``.md`` file that
Colab cannot open. ``make book`` writes every executed page as an ``.ipynb`` with a first
cell that installs gapkit when it is missing (``book/notebooks.py``), and the publish
workflow pushes them, beside the sources, to the branch ``launch_branch``. Here each Colab
and Binder button is pointed at that notebook on that branch.

Pages may write ``@REPOSITORY@`` for the repository's address (``repository.url`` of
``_config.yml``), so it is written in one place.

``BOOK_EDITION=student`` builds the book without the solutions of its exercises (the
``solution`` directives and everything between ``solution-start`` and ``solution-end``);
the default, the teacher edition, keeps them.
"""

from __future__ import annotations

import os
import re

from sphinx_exercise.nodes import solution_end_node, solution_node, solution_start_node

PLACEHOLDER = "@REPOSITORY@"


def repository(app) -> str:
    return app.config.html_theme_options.get("repository_url", "").rstrip("/")


def fill_repository(app, docname: str, source: list[str]) -> None:
    source[0] = source[0].replace(PLACEHOLDER, repository(app))


def point_at_notebooks(app, pagename: str, templatename: str, context, doctree) -> None:
    branch = app.config.launch_branch
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if isinstance(group, dict) else []:
            url = button.get("url", "")
            if button.get("text") == "Colab":
                button["url"] = re.sub(r"/blob/[^/]+/(.+)\.\w+$",
                                       rf"/blob/{branch}/\1.ipynb", url)
            elif button.get("text") == "Binder":
                url = re.sub(r"(/v2/gh/[^/]+/[^/]+/)[^?]+", rf"\1{branch}", url)
                button["url"] = re.sub(r"(urlpath=[^&]+)\.\w+$", r"\1.ipynb", url)


def edition() -> str:
    value = os.environ.get("BOOK_EDITION", "").strip() or "teacher"
    if value not in ("teacher", "student"):
        raise ValueError(f"BOOK_EDITION={value!r}: use teacher or student")
    return value


def drop_solutions(app, doctree) -> None:
    if edition() != "student":
        return
    for node in list(doctree.findall(solution_node)):
        node.parent.remove(node)
    for start in list(doctree.findall(solution_start_node)):
        parent, dropping = start.parent, False
        for child in list(parent.children):
            dropping = dropping or child is start
            if dropping:
                parent.remove(child)
                if isinstance(child, solution_end_node):
                    dropping = False


def share_html_visitors(app) -> None:
    """The single-page build (``make pdf``) renders the nodes that extensions taught the
    HTML builder (sphinx-proof's theorems, for one), as the HTML builder does."""
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    for node, visitors in handlers.get("html", {}).items():
        handlers.setdefault("singlehtml", {}).setdefault(node, visitors)


def setup(app):
    app.connect("builder-inited", share_html_visitors)
    app.connect("doctree-read", drop_solutions)
    app.add_config_value("launch_branch", "notebooks", "html")
    app.connect("source-read", fill_repository)
    # after the theme has added its launch buttons (default priority 500)
    app.connect("html-page-context", point_at_notebooks, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
