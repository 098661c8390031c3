"""Sphinx extension: every image of the book says what it shows to a screen reader.

Without an ``alt`` text, docutils writes the image's file name (``../_images/8526….png``),
which screen readers read aloud. A figure's image takes its caption; an image outside a
figure (a cell output without ``mystnb: figure:``) is described by the section it is in.
"""

from __future__ import annotations

from docutils import nodes


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


def setup(app):
    app.connect("doctree-resolved", add_alt_texts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
