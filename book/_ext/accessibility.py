"""Sphinx extension: the book's pages meet WCAG 2 A/AA (checked by axe-core in tests/site).

- Every image says what it shows to a screen reader. Without an ``alt`` text, docutils
  writes the image's file name (``../_images/8526….png``), which screen readers read aloud.
  A figure's image takes its caption; an image outside a figure (a cell output without
  ``mystnb: figure:``) is described by the section it is in.
- The bibliography's entries are list items (docutils marks them ``doc-biblioentry``, a
  role deprecated by ARIA, inside a ``role="list"``).
- ``static/accessibility.css``: 80 columns of code fit the content column at 1280 px, and
  links inside admonitions (exercises) keep a 4.5:1 contrast on their tinted background.
- ``static/accessibility.js``: the theme's search and colour-mode buttons have a name that
  contains their visible text (WCAG 2.5.3, label in name).
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes

STATIC = Path(__file__).parent / "static"


def _ancestor(node: nodes.Node, kind: type) -> nodes.Element | None:
    parent = node.parent
    while parent is not None and not isinstance(parent, kind):
        parent = parent.parent
    return parent


def describe(image: nodes.image) -> str:
    """The alt text for ``image``: its figure's caption, else where it stands."""
    figure = _ancestor(image, nodes.figure)
    captions = [c for c in figure.children if isinstance(c, nodes.caption)] if figure else []
    if captions:
        return " ".join(captions[0].astext().split())
    section = _ancestor(image, nodes.section)
    titles = [t for t in section.children if isinstance(t, nodes.title)] if section else []
    where = f" of the section “{titles[0].astext()}”" if titles else ""
    return f"Figure{where}, drawn by the code cell above it (no caption)"


def add_alt_texts(app, doctree: nodes.document, docname: str) -> None:
    for image in doctree.findall(nodes.image):
        if not image.get("alt"):
            image["alt"] = describe(image)


def list_citations(app, pagename, templatename, context, doctree) -> None:
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


def add_static(app) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app):
    app.connect("doctree-resolved", add_alt_texts)
    app.connect("html-page-context", list_citations)
    app.connect("builder-inited", add_static)
    app.add_css_file("accessibility.css")
    app.add_js_file("accessibility.js")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
