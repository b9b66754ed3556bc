"""Real Chromium for page tests: Debian's /usr/bin/chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from config.settings import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, Chromium keeps calling Google's hosts, which a closed network refuses.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# axe-core from npm (package.json at the project root; `make test` runs `npm ci`).
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"


def require_chromium() -> None:
    """Skip on a developer's machine without Chromium; in CI its absence is a failure."""
    if os.path.exists(CHROMIUM):
        return
    message = ("Chromium is not installed: sudo apt-get install chromium chromium-driver "
               "(Debian/Ubuntu), then run the browser tests again")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def chromium_page(width: int = 1200, height: int = 900, java_script_enabled: bool = True,
                  bypass_csp: bool = True) -> Iterator:
    """A page in real Chromium collecting console errors and failed responses in .problems.

    The site's Content-Security-Policy forbids eval, which Playwright's string expressions
    (wait_for_function, axe's script tag) need: it is bypassed unless a test checks the
    policy itself (bypass_csp=False)."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height},
                                    java_script_enabled=java_script_enabled,
                                    bypass_csp=bypass_csp)
            problems: list[str] = []
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}")
                    if r.status >= 400 else None)
            page.problems = problems
            yield page
        finally:
            browser.close()


def open_live(page, url: str) -> None:
    """Go to url and wait until React's copy of the page has replaced the server's preview
    (dashboards/prerender.py), so what the test touches is the page that stays."""
    page.goto(url)
    page.wait_for_function(PREVIEW_GONE)


# True once assets/preview.js has removed the preview.
PREVIEW_GONE = "() => !document.getElementById('page-preview')"


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """Run axe-core in the page and return one readable line a violation of the given impacts."""
    if not AXE.exists():
        message = ("axe-core is not installed: run `npm ci` in the project folder (or `make "
                   "test`, which does it; Node.js 18+ is needed)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document, "
                               "{resultTypes: ['violations']})).violations")
    lines = []
    for violation in violations:
        if violation["impact"] not in impacts:
            continue
        # A target is a list of selectors when the node is inside an iframe or a shadow root.
        targets = [" >> ".join(node["target"]) for node in violation["nodes"][:3]]
        more = len(violation["nodes"]) - len(targets)
        where = ", ".join(targets) + (f" and {more} more" if more > 0 else "")
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {where}")
    return lines
