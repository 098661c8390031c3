import sys
from pathlib import Path

from docutils import nodes
from docutils.utils import new_document

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
import accessibility as alt_text  # noqa: E402


def page():
    document = new_document("page")
    section = nodes.section("", nodes.title("", "The gap"))
    document += section
    return document, section


def test_a_figure_image_takes_its_caption():
    document, section = page()
    image = nodes.image(uri="_images/8526.png")
    container = nodes.container("", image)  # myst-nb nests the output in containers
    section += nodes.figure("", container, nodes.caption("", "Pairs of CLIP\n  embeddings."))
    alt_text.add_alt_texts(None, document, "page")
    assert image["alt"] == "Pairs of CLIP embeddings."


def test_an_image_without_caption_is_described_by_its_section():
    document, section = page()
    image = nodes.image(uri="_images/8526.png")
    section += nodes.container("", image)
    alt_text.add_alt_texts(None, document, "page")
    assert "“The gap”" in image["alt"] and ".png" not in image["alt"]


def test_an_alt_text_given_by_the_author_stays():
    document, section = page()
    image = nodes.image(uri="logo.png", alt="The book's logo")
    section += image
    alt_text.add_alt_texts(None, document, "page")
    assert image["alt"] == "The book's logo"
