"""Looking at the built website as a reader does: pages served on loopback, opened in
Debian's chromium through Playwright, with every request, console message and figure noted.

``inspect`` measures a page; ``problems`` judges what it measured against what the page's
source promises. The tests in this folder apply both to every page of the book, and to
deliberately broken copies to show that a defect is caught.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

# Logged by pydata-sphinx-theme on a reader's first visit (no theme mode stored yet): the
# theme's own message, not a defect of the book.
KNOWN_CONSOLE_ERRORS = ("Got invalid theme mode: . Resetting to auto.",)
# axe-core, the accessibility engine, from the site's npm assets (`make assets`); it is
# injected into each page by the checks, never published with the site.
AXE = Path(__file__).resolve().parents[2] / "_build/assets/npm/node_modules/axe-core/axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A static file server for ``folder`` on a free loopback port, in a daemon thread."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


@dataclass
class Expectations:
    """What a page's source promises: its numbered figures, and whether it has widgets."""

    figures: int = 0
    widgets: bool = False
    explorers: bool = False

    @classmethod
    def from_source(cls, source: Path) -> Expectations:
        text = source.read_text()
        return cls(figures=len(re.findall(r"^mystnb:\n  figure:", text, flags=re.M)),
                   widgets=bool(re.search(r"^widgets\.\w+\(", text, flags=re.M)),
                   explorers="explorer.grid_explorer(" in text)


@dataclass
class Report:
    """What a page showed in the browser."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    images: int = 0
    broken_images: list[str] = field(default_factory=list)
    output_texts: list[str] = field(default_factory=list)
    math_sources: int = 0
    math_rendered: int = 0
    widgets: int = 0
    sidebar_links: set[str] = field(default_factory=set)
    downloads: list[str] = field(default_factory=list)
    animations_not_moving: int = 0
    explorer_controls: int = 0
    dead_controls: list[str] = field(default_factory=list)
    accessibility: list[str] = field(default_factory=list)  # axe-core's WCAG A/AA violations
    file_name_alts: list[str] = field(default_factory=list)
    wide_code: list[str] = field(default_factory=list)  # code cells that scroll sideways


def inspect(browser, url: str, screenshot: Path | None = None,
            width: int = 1280) -> Report:
    """Open ``url`` in a fresh browser context and record what a reader would meet."""
    report = Report(url)
    origin = re.match(r"https?://[^/]+/", url).group(0)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and m.text not in KNOWN_CONSOLE_ERRORS
            and report.console_errors.append(m.text))
    page.on("requestfailed", lambda r: report.failed_requests.append(r.url))
    page.on("response", lambda r: r.status >= 400
            and report.failed_requests.append(f"{r.status} {r.url}"))

    def route(request_route):
        if request_route.request.url.startswith(origin):
            request_route.continue_()
        else:  # the site must work offline: nothing may leave this machine
            report.external_requests.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(500)  # MathJax finishes after the load
    report.accessibility = accessibility_violations(page)
    main = page.locator("main")
    report.images = main.locator("img").count()
    report.broken_images = page.evaluate("""() => [...document.querySelectorAll('main img')]
        .filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src)""")
    report.output_texts = main.locator(".cell_output").all_inner_texts()
    report.math_sources = main.locator(".math").count()
    report.math_rendered = main.locator("mjx-container").count()
    report.widgets = main.locator(".widget-interact, .jupyter-widgets").count()
    report.sidebar_links = set(page.evaluate("""() => [...document.querySelectorAll(
        'nav.bd-docs-nav a.reference.internal')].map(a => a.href.split('#')[0])"""))
    report.downloads = page.evaluate("""() => [...document.querySelectorAll(
        '.dropdown-download-buttons a')].map(a => a.href)""")
    report.animations_not_moving = count_frozen_animations(page)
    report.file_name_alts = page.evaluate(r"""() => [...document.querySelectorAll('img')]
        .map(img => img.getAttribute('alt') || '')
        .filter(alt => /\.(png|jpe?g|svg|gif|webp)$/i.test(alt.trim()))""")
    report.explorer_controls, report.dead_controls = try_explorers(page, screenshot)
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    report.wide_code = wide_code_cells(page)
    context.close()
    return report


def accessibility_violations(page) -> list[str]:
    """Run axe-core on the page as it is shown; one line per WCAG 2 A/AA rule it breaks:
    the rule, its impact, how many elements and the first of them."""
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: run `make assets` (npm ci in book/site)")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag',
        values: tags}, resultTypes: ['violations']}).then(r => r.violations.map(v =>
        `${v.id} (${v.impact}): ${v.nodes.length} element(s), e.g. ` +
        v.nodes[0].target.join(' ')))""", WCAG_AA)
    return violations


def wide_code_cells(page) -> list[str]:
    """The first line of every code cell (folded ones opened) whose code is wider than the
    column, so that it scrolls sideways."""
    return page.evaluate("""() => {
        document.querySelectorAll('main details').forEach(d => { d.open = true; });
        return [...document.querySelectorAll('main .cell_input pre')]
            .filter(pre => pre.scrollWidth > pre.clientWidth + 1)
            .map(pre => pre.textContent.split('\\n')[0].slice(0, 80)); }""")


def count_frozen_animations(page) -> int:
    """Move the slider of every matplotlib ``to_jshtml`` player; count those whose frame
    did not change."""
    frozen = 0
    for player in page.locator(".animation").all():
        image = player.locator("img").first
        before = image.get_attribute("src")
        slider = player.locator("input[type=range]").first
        slider.evaluate("""s => { s.value = s.max;
            s.dispatchEvent(new Event('input', {bubbles: true}));
            s.dispatchEvent(new Event('change', {bubbles: true})); }""")
        if image.get_attribute("src") == before:
            frozen += 1
    return frozen


def try_explorers(page, screenshot: Path | None = None) -> tuple[int, list[str]]:
    """Use every control of every kernel-free explorer (``gapkit.explorer``) as a reader
    would; return how many there are and the labels of those whose figure's pixels did not
    change. With ``screenshot``, the first explorer's figure is saved before and after."""
    dead, count = [], 0
    for explorer in page.locator(".gapkit-explorer").all():
        image = explorer.locator("img").first
        for control in explorer.locator("[data-control]").all():
            count += 1
            before = image.screenshot()
            if control.evaluate("c => c.tagName") == "SELECT":
                options = control.locator("option").all()
                current = control.input_value()
                choice = next(o.get_attribute("value") for o in options
                              if o.get_attribute("value") != current)
                control.select_option(choice)
            else:
                control.evaluate("""c => { c.value = c.value === c.max ? c.min : c.max;
                    c.dispatchEvent(new Event('input', {bubbles: true})); }""")
            after = image.screenshot()
            if after == before:
                dead.append(control.get_attribute("aria-label") or "unlabelled")
            if screenshot is not None and count == 1:
                for name, shot in (("before", before), ("after", after)):
                    path = screenshot.with_name(f"{screenshot.stem}__control-{name}.png")
                    path.write_bytes(shot)
    return count, dead


def problems(report: Report, expected: Expectations, pages: list[str],
             notebook: bool) -> list[str]:
    """Everything wrong with a page, in words (empty when the page is fine)."""
    found = []
    if report.console_errors:
        found.append(f"console errors: {report.console_errors[:3]}")
    if report.failed_requests:
        found.append(f"failed requests: {report.failed_requests[:3]}")
    if report.external_requests:
        found.append(f"requests off this machine: {report.external_requests[:3]}")
    if report.images < expected.figures:
        found.append(f"{report.images} images shown, but the page makes {expected.figures} "
                     "figures")
    if report.broken_images:
        found.append(f"images that do not load: {report.broken_images[:3]}")
    bad = [t for t in report.output_texts if "Traceback" in t or "Error" in t]
    if bad:
        found.append(f"an output shows an error: {bad[0][:200]!r}")
    if report.math_rendered < report.math_sources:
        found.append(f"{report.math_sources} math elements, {report.math_rendered} rendered")
    if expected.widgets and report.widgets == 0:
        found.append("the page makes widgets, none is shown")
    missing = [p for p in pages if not any(link.endswith(p) for link in report.sidebar_links)]
    if missing:
        found.append(f"the sidebar does not link to {missing}")
    suffixes = {Path(link).suffix for link in report.downloads}
    wanted = {".md", ".ipynb"} if notebook else {".md"}
    if not wanted <= suffixes:
        found.append(f"download buttons offer {sorted(suffixes)}, expected {sorted(wanted)}")
    if report.animations_not_moving:
        found.append(f"{report.animations_not_moving} animation(s) ignore their slider")
    if expected.explorers and not report.explorer_controls:
        found.append("the page's explorer shows no controls")
    if report.dead_controls:
        found.append(f"controls that change no figure: {report.dead_controls}")
    if report.file_name_alts:
        found.append(f"images whose alt text is a file name: {report.file_name_alts[:3]}")
    return found
