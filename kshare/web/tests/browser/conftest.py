"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

One browser per test session (pytest-playwright's session-scoped ``browser``); every test gets a
fresh context. Run them alone with ``pytest -m browser`` or ``pytest kshare/web/tests/browser``.
"""

from __future__ import annotations

import os

# Playwright's sync API runs an event loop in the test thread, so Django would refuse ORM calls
# from the test (factories, assertions) without this. Set before Django looks at it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import json
import re
import shutil
import subprocess
import tarfile
import tempfile
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from kshare.people.models import Person

PROJECT_ROOT = Path(__file__).resolve().parents[4]
ARTIFACTS_DIR = PROJECT_ROOT / "test-artifacts"
AXE_VERSION = "4.14.1"
AXE_CACHE = PROJECT_ROOT / ".cache" / "axe" / "axe.min.js"
AXE_URL_PATH = "/__axe.min.js"
CHROMIUM = os.environ.get("KSHARE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # No `playwright install` here (no downloads): use the distribution's Chromium.
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. Install it (apt-get install chromium) "
            "or point KSHARE_CHROMIUM at a Chromium binary."
        )
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def server(live_server, transactional_db) -> str:
    """The live server's base URL; the database is shared with it (hence transactional)."""
    return live_server.url


def sign_in(page: Page, server: str, person: Person, password: str = PASSWORD) -> None:
    """Sign in through the real form, as a person would."""
    page.goto(f"{server}/signin/")
    page.fill("#id_username", person.email)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server}/")


# -- axe-core -------------------------------------------------------------------------------------


def _axe_download(target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [npm, "pack", f"axe-core@{AXE_VERSION}", "--silent"],
            cwd=tmp,
            check=True,
            capture_output=True,
            timeout=120,
        )
        with tarfile.open(Path(tmp) / f"axe-core-{AXE_VERSION}.tgz") as archive:
            member = archive.extractfile("package/axe.min.js")
            if member is None:
                raise RuntimeError("axe.min.js is missing from the axe-core package")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(member.read())


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script: $KSHARE_AXE_JS, else the project cache, else fetched with npm."""
    configured = os.environ.get("KSHARE_AXE_JS")
    if configured:
        path = Path(configured)
        if not path.is_file():
            pytest.fail(f"KSHARE_AXE_JS={configured} is not a file.", pytrace=False)
        return path.read_text()
    if not AXE_CACHE.is_file():
        try:
            _axe_download(AXE_CACHE)
        except (OSError, RuntimeError, subprocess.SubprocessError, tarfile.TarError) as exc:
            pytest.fail(
                f"axe-core {AXE_VERSION} is needed for the accessibility tests and could not be "
                f"fetched ({exc}). Run `make` (which downloads it), or put axe.min.js at "
                f"{AXE_CACHE}, or set KSHARE_AXE_JS to its path."
            )
    return AXE_CACHE.read_text()


def _format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:10]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {json.dumps(node['target'])}: {summary}")
    return "\n".join(lines)


@pytest.fixture
def axe(axe_source: str, server: str) -> Callable[[Page], str]:
    """``axe(page)`` audits the page as it is now (WCAG 2.1 A and AA) with axe-core.

    Returns a readable report of the serious and critical violations, "" when there are none,
    so a test can audit several pages and name every one that fails. The strict CSP blocks
    inline scripts, so axe is served from the site's own origin through a route instead of
    being injected inline (bypass_csp would switch off what is being tested).
    """
    routed: weakref.WeakSet[Page] = weakref.WeakSet()

    def audit(page: Page) -> str:
        if page not in routed:
            page.route(
                f"**{AXE_URL_PATH}",
                lambda route: route.fulfill(body=axe_source, content_type="application/javascript"),
            )
            routed.add(page)
        if page.evaluate("typeof window.axe") == "undefined":
            page.add_script_tag(url=server + AXE_URL_PATH)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        return _format_violations(bad)

    return audit


# -- screenshots of failures ----------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    page = getattr(item, "funcargs", {}).get("page")
    if page is None or page.is_closed():
        return
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.name).strip("-")
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    path = ARTIFACTS_DIR / f"{name}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
    except Exception as exc:  # a broken page must not hide the test's own failure
        report.sections.append(("screenshot", f"could not save {path}: {exc}"))
    else:
        report.sections.append(("screenshot", str(path)))
