"""Print the single-page build of the book to PDF: ``python book/pdf.py FOLDER OUT.pdf``.

``FOLDER`` is the output of ``jupyter-book build --builder singlehtml``; the book is the page
named after the root of ``_toc.yml``.

Uses the Chromium named by ``CHROMIUM`` through Playwright, as the site tests do. Explorers
print the figure they show first; their controls are left out of print.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import yaml
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]

PRINT_CSS = ".gapkit-explorer-controls, .header-article, .bd-sidebar-primary, " \
            ".bd-sidebar-secondary, .prev-next-area { display: none !important; }"


def print_pdf(page_path: Path, out: Path) -> None:
    if not page_path.is_file():
        raise FileNotFoundError(f"{page_path} is missing: build the single-page book first")
    partial = out.with_suffix(".partial.pdf")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM"),
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(page_path.resolve().as_uri(), wait_until="networkidle")
        page.add_style_tag(content=PRINT_CSS)
        page.wait_for_function("() => !window.MathJax || !window.MathJax.startup || "
                               "window.MathJax.startup.promise !== undefined")
        page.pdf(path=str(partial), format="A4", print_background=True,
                 margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
        browser.close()
    partial.replace(out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python book/pdf.py SINGLEHTML_FOLDER OUT.pdf")
    folder, root = Path(sys.argv[1]), yaml.safe_load((ROOT / "_toc.yml").read_text())["root"]
    # The single page links its styles and figures relative to the folder's top, though
    # it is written under the root's own path (book/intro.html): print a copy from the top.
    printable = folder / "book.html"
    shutil.copyfile(folder / f"{root}.html", printable)
    print_pdf(printable, Path(sys.argv[2]))
    print(f"wrote {sys.argv[2]}")
