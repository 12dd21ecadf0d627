"""The interactive API docs in Chromium: Swagger UI renders from local files under the strict CSP,
and the token page works with the keyboard-visible secret field."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kshare.people.tests.factories import PersonFactory
from kshare.web.tests.browser import conftest as browser_conftest
from kshare.web.tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.browser

browser_type_launch_args = browser_conftest.browser_type_launch_args
server = browser_conftest.server
axe_source = browser_conftest.axe_source
axe = browser_conftest.axe


def test_docs_render_offline_without_csp_violations(page: Page, server: str) -> None:
    violations: list[str] = []
    outside: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if not r.url.startswith(server) and not r.url.startswith("data:")
            else None
        ),
    )
    page.goto(f"{server}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("kshare API")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    expect(page.get_by_text("/api/v1/sessions").first).to_be_visible()
    assert violations == []
    assert outside == []


def test_token_page(page: Page, server: str, axe) -> None:
    person = PersonFactory(email="tina@example.com")
    person.set_password(PASSWORD)
    person.save()
    sign_in(page, server, person)
    page.goto(f"{server}/api/tokens/")
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    page.get_by_label("Name").fill("chat bot")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_label("Copy it now: it is shown only this once")
    assert secret.input_value().startswith("ksh_")
    problems = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        report = axe(page)
        if report:
            problems.append(f"{scheme}:\n{report}")
    assert problems == []
    page.get_by_role("button", name="Revoke “chat bot”").click()
    expect(page.get_by_text("is revoked")).to_be_visible()
