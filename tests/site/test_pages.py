"""Every page of the book, opened in a real browser: it loads cleanly and shows what it makes."""

from pathlib import Path

import pytest
import sitecheck
from conftest import ROOT

import chapters

SOURCES = chapters.toc_files(ROOT)
PAGES = [str(path.relative_to(ROOT).with_suffix(".html")) for path in SOURCES]
SCREENSHOTS = ROOT / "_build" / "screenshots"


@pytest.fixture(scope="session")
def inspected(browser, served):
    """Each page opened once (with its screenshot), whichever test asks first."""
    reports = {}

    def report(source):
        page = str(source.relative_to(ROOT).with_suffix(".html"))
        if page not in reports:
            shot = SCREENSHOTS / (page.replace("/", "__").removesuffix(".html") + ".png")
            reports[page] = sitecheck.inspect(browser, served + page, screenshot=shot), shot
        return (page, *reports[page])

    return report


@pytest.mark.parametrize("source", SOURCES, ids=PAGES)
def test_page(inspected, source):
    page, report, shot = inspected(source)
    found = sitecheck.problems(report, sitecheck.Expectations.from_source(source), PAGES,
                               notebook=chapters.is_notebook(source))
    assert found == [], f"{page}: " + "; ".join(found)
    assert shot.stat().st_size > 10_000  # a screenshot with something in it


@pytest.mark.parametrize("source", SOURCES, ids=PAGES)
def test_page_meets_wcag_2_aa(inspected, source):
    """axe-core finds no violation of WCAG 2.0-2.2 level A or AA on the page."""
    page, report, _ = inspected(source)
    assert report.accessibility == [], f"{page}: " + "; ".join(report.accessibility)


@pytest.mark.parametrize("source", SOURCES, ids=PAGES)
def test_code_cells_fit_the_column_at_1280px(inspected, source):
    page, report, _ = inspected(source)
    assert report.wide_code == [], f"{page}: cells that scroll sideways: {report.wide_code}"


def test_the_landing_page_has_its_figure_and_the_root_redirects_to_it(browser, served):
    report = sitecheck.inspect(browser, served)
    assert report.images >= 1 and not report.broken_images


def test_figures_fit_a_phone_screen(browser, served):
    page = "chapters/01_the_gap.html"
    shot = SCREENSHOTS / "phone__chapters__01_the_gap.png"
    context = browser.new_context(viewport={"width": 400, "height": 800})
    tab = context.new_page()
    tab.goto(served + page, wait_until="networkidle")
    overflow = tab.evaluate("""() => [...document.querySelectorAll('main figure img')]
        .filter(img => img.getBoundingClientRect().right > window.innerWidth + 1).length""")
    widths = tab.evaluate("""() => [...document.querySelectorAll('main figure img')]
        .map(img => img.getBoundingClientRect().width)""")
    tab.screenshot(path=str(shot), full_page=True)
    context.close()
    assert overflow == 0
    assert widths and min(widths) > 300  # scaled to the screen, not shrunk to a thumbnail


def test_internal_links_resolve(site):
    """Every local link and image of every page points at a file of the site."""
    import re

    missing = []
    for html in site.rglob("*.html"):
        if "_static" in html.relative_to(site).parts:  # theme templates, not pages
            continue
        for target in re.findall(r'(?:href|src)="([^"#?:]+)(?:[#?][^"]*)?"', html.read_text()):
            if not (html.parent / target).resolve().exists():
                missing.append(f"{html.relative_to(site)} -> {target}")
    assert missing == []


def test_the_site_holds_no_paper_data(site):
    assert not [p for p in site.rglob("features_*.npy")]
    assert not (Path(site) / "_build").exists()


NOTEBOOK_PAGES = [source for source in SOURCES if chapters.is_notebook(source)]


@pytest.mark.parametrize("source", NOTEBOOK_PAGES,
                         ids=[str(s.relative_to(ROOT)) for s in NOTEBOOK_PAGES])
def test_launch_buttons_open_a_runnable_notebook_the_build_made(site, source):
    import re

    import nbformat

    page = source.relative_to(ROOT).with_suffix("")
    text = (site / f"{page}.html").read_text()
    colab = re.search(r'href="(https://colab\.research\.google\.com/[^"]+)"', text).group(1)
    binder = re.search(r'href="(https://mybinder\.org/[^"]+)"', text).group(1)
    assert colab.endswith(f"/blob/notebooks/{page}.ipynb")
    assert "/notebooks?" in binder and binder.endswith(f"urlpath=lab/tree/{page}.ipynb")
    notebook = nbformat.read(ROOT / "_build" / "notebooks" / f"{page}.ipynb", as_version=4)
    setup = notebook.cells[0]
    assert "launch-setup" in setup.metadata["tags"] and "pip" in setup.source
    assert any(cell.get("outputs") for cell in notebook.cells[1:])  # executed, with outputs
