import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "tests"))  # chapters.py: the pages of _toc.yml

import sitecheck  # noqa: E402


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").exists():
        pytest.fail(f"no built site in {SITE}: run `make book` first")
    return SITE


@pytest.fixture(scope="session")
def served(site):
    server, url = sitecheck.serve(site)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not executable:
        pytest.fail("no chromium found: apt-get install chromium, or set CHROMIUM=path")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable,
                                              args=sitecheck.CHROMIUM_ARGS)
        yield chromium
        chromium.close()
