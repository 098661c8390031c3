"""A page with a broken figure, an error in an output or a frozen animation fails the checks:
the same checks as test_pages, run on deliberately broken copies of the built site."""

import re
import shutil

import matplotlib
import pytest
import sitecheck
from conftest import ROOT

matplotlib.use("Agg")
INTRO = ROOT / "book" / "intro.md"


@pytest.fixture
def broken_site(site, tmp_path):
    copy = tmp_path / "html"
    shutil.copytree(site, copy)
    server, url = sitecheck.serve(copy)
    yield copy, url
    server.shutdown()


def check_intro(browser, url):
    report = sitecheck.inspect(browser, url + "book/intro.html")
    return sitecheck.problems(report, sitecheck.Expectations.from_source(INTRO),
                              ["book/intro.html"], notebook=True)


def test_the_intact_copy_passes(browser, broken_site):
    _, url = broken_site
    assert check_intro(browser, url) == []


def test_a_missing_figure_fails(browser, broken_site):
    copy, url = broken_site
    html = (copy / "book" / "intro.html").read_text()
    image = re.search(r'src="\.\./(_images/[^"]+\.png)"', html).group(1)
    (copy / image).unlink()
    found = check_intro(browser, url)
    assert any("images that do not load" in p for p in found)
    assert any("failed requests" in p for p in found)


def test_a_traceback_in_an_output_fails(browser, broken_site):
    copy, url = broken_site
    page = copy / "book" / "intro.html"
    html = page.read_text()
    html = html.replace('<div class="cell_output docutils container">',
                        '<div class="cell_output docutils container"><pre>Traceback (most '
                        'recent call last):\nZeroDivisionError: division by zero</pre>', 1)
    page.write_text(html)
    assert any("an output shows an error" in p for p in check_intro(browser, url))


def test_a_page_that_needs_the_network_fails(browser, broken_site):
    copy, url = broken_site
    page = copy / "book" / "intro.html"
    page.write_text(page.read_text().replace(
        "</head>", '<script src="https://cdn.example.org/x.js"></script></head>'))
    assert any("off this machine" in p for p in check_intro(browser, url))


def animation_page(folder, moving: bool):
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    fig, ax = plt.subplots(figsize=(2, 2))
    (line,) = ax.plot([0, 1], [0, 0])
    animation = FuncAnimation(fig, lambda k: line.set_ydata([0, k if moving else 0]),
                              frames=3)
    (folder / "animation.html").write_text(f"<html><body><main>{animation.to_jshtml()}"
                                           "</main></body></html>")
    plt.close(fig)


@pytest.mark.parametrize("moving", [True, False])
def test_an_animation_must_follow_its_slider(browser, broken_site, moving):
    copy, url = broken_site
    animation_page(copy, moving)
    report = sitecheck.inspect(browser, url + "animation.html")
    assert report.animations_not_moving == (0 if moving else 1)


def explorer_page(folder, alive: bool):
    """A page with one kernel-free explorer of two figures; without its script (dead) the
    control still moves but the figure does not."""
    import matplotlib.pyplot as plt

    from gapkit import explorer

    def draw(level):
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.axhline(level)
        ax.set_ylim(0, 1)
        return fig

    html = explorer.grid_explorer(draw, {"level": (0.2, 0.8)}, title="test")._repr_html_()
    if not alive:
        html = re.sub(r"<script>.*</script>", "", html, flags=re.S)
    (folder / "explorer.html").write_text(f"<html><body><main>{html}</main></body></html>")


@pytest.mark.parametrize("alive", [True, False])
def test_an_explorer_control_must_change_its_figure(browser, broken_site, alive):
    copy, url = broken_site
    explorer_page(copy, alive)
    report = sitecheck.inspect(browser, url + "explorer.html")
    assert report.explorer_controls == 1
    assert report.dead_controls == ([] if alive else ["level"])


def intro_report(browser, copy, url, edit=None):
    page = copy / "book" / "intro.html"
    if edit is not None:
        page.write_text(edit(page.read_text()))
    return sitecheck.inspect(browser, url + "book/intro.html")


def test_the_intact_copy_meets_wcag_and_its_code_fits(browser, broken_site):
    report = intro_report(browser, *broken_site)
    assert report.accessibility == [] and report.wide_code == []
    assert report.images >= 1 and report.file_name_alts == []


def test_an_image_without_alt_text_fails_the_accessibility_check(browser, broken_site):
    report = intro_report(browser, *broken_site,
                          edit=lambda html: re.sub(r'(<img\b[^>]*?) alt="[^"]*"', r"\1", html))
    assert any(v.startswith("image-alt (critical)") for v in report.accessibility)


def test_an_alt_text_that_is_a_file_name_fails(browser, broken_site):
    report = intro_report(browser, *broken_site, edit=lambda html: re.sub(
        r'(<img\b[^>]*?) alt="[^"]*"', r'\1 alt="../_images/8526fb3e.png"', html, count=1))
    assert report.file_name_alts == ["../_images/8526fb3e.png"]
    found = sitecheck.problems(report, sitecheck.Expectations.from_source(INTRO),
                               ["book/intro.html"], notebook=True)
    assert any("alt text is a file name" in p for p in found)


def test_a_code_cell_wider_than_the_column_fails(browser, broken_site):
    cell = ('<div class="cell_input docutils container"><div class="highlight"><pre>'
            'answer = 42  # ' + "far too long " * 20 + "</pre></div></div>")
    report = intro_report(browser, *broken_site,
                          edit=lambda html: html.replace("</main>", cell + "</main>", 1))
    assert report.wide_code == ["answer = 42  # " + ("far too long " * 20)[:65]]


@pytest.mark.parametrize("labelled", [True, False])
def test_an_explorer_control_needs_an_accessible_name(browser, broken_site, labelled):
    copy, url = broken_site
    explorer_page(copy, alive=True)
    page = copy / "explorer.html"
    html = page.read_text()
    if not labelled:  # neither an aria-label nor a <label> around it
        html = html.replace(' aria-label="level"', "").replace("<label>level ", "")
        html = html.replace("</label>", "")
    page.write_text(html.replace("<html>", '<html lang="en"><head><title>t</title></head>'))
    violations = sitecheck.inspect(browser, url + "explorer.html").accessibility
    unnamed = [v for v in violations if v.startswith(("label (", "aria-input-field-name"))]
    assert bool(unnamed) != labelled, violations
