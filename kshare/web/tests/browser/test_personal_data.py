"""A person downloads everything kshare holds about them, then deletes their account."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from playwright.sync_api import Page, expect

from kshare.ideas.models import Idea
from kshare.ideas.tests.factories import IdeaFactory
from kshare.people.erasure import PLACEHOLDER_NAME
from kshare.people.models import Person
from kshare.people.tests.factories import AdminFactory, PersonFactory
from kshare.sessions.tests.factories import PastSessionFactory
from kshare.web.tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.browser


def test_a_person_downloads_their_data_and_deletes_their_account(
    page: Page, server: str, axe, tmp_path
) -> None:
    person = PersonFactory(email="lee@example.com", display_name="Lee Leaver", bio="Data nerd")
    other = PersonFactory(email="someone@example.com", display_name="Someone Else")
    session = PastSessionFactory(host=person, title="Lee's pandas tricks")
    IdeaFactory(author=person, title="Lee's idea")
    IdeaFactory(author=other, title="Someone's idea")

    sign_in(page, server, person)
    page.locator("details.menu > summary").click()
    page.get_by_role("link", name="Your data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data")
    problems = [axe(page)]

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download your data (ZIP)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("kshare-data-")
    path = tmp_path / "data.zip"
    download.save_as(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["data.json"]
        raw = archive.read("data.json").decode()
    data = json.loads(raw)["apps"]
    assert data["people"]["profile"]["email"] == "lee@example.com"
    assert data["people"]["profile"]["bio"] == "Data nerd"
    assert [s["title"] for s in data["talks"]["sessions_hosted"]] == ["Lee's pandas tricks"]
    assert [i["title"] for i in data["ideas"]["ideas"]] == ["Lee's idea"]
    assert "someone@example.com" not in raw
    assert "Someone's idea" not in raw

    page.get_by_role("link", name="Delete your account…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete your account")
    problems.append(axe(page))
    page.get_by_label("Your password").fill("not my password")
    page.get_by_label("Type DELETE to confirm").fill("DELETE")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("That is not your password.")).to_be_visible()
    assert Person.objects.filter(email="lee@example.com").exists()

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Type DELETE to confirm").fill("DELETE")
    page.get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(f"{server}/signin/")
    expect(page.locator(".message-success")).to_have_text(
        "Your account and your personal data have been deleted."
    )
    assert not Person.objects.filter(email="lee@example.com").exists()
    assert [h.display_name for h in session.hosts.all()] == [PLACEHOLDER_NAME]
    assert Idea.objects.get(title="Lee's idea").author.display_name == PLACEHOLDER_NAME

    # Signed out: the old address asks to sign in, and the password no longer works.
    page.goto(f"{server}/people/me/data/")
    expect(page).to_have_url(f"{server}/signin/?next=/people/me/data/")
    page.fill("#id_username", "lee@example.com")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("do not match an account")).to_be_visible()
    if any(problems):
        pytest.fail("axe found issues:\n" + "\n".join(p for p in problems if p), pytrace=False)


def test_an_admin_finds_data_retention_in_the_account_menu(page: Page, server: str, axe) -> None:
    admin = AdminFactory(display_name="Ada Admin")
    sign_in(page, server, admin)
    page.locator("details.menu > summary").click()
    page.get_by_role("link", name="Data retention").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data retention")
    row = page.get_by_role("row", name=re.compile("Sent and failed mails in the outbox"))
    expect(row.get_by_role("cell").nth(1)).to_have_text("90 days")
    expect(row.get_by_role("cell").nth(2)).to_have_text("KSHARE_RETENTION_OUTBOX_DAYS")
    problems = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        problems.append(axe(page))
    if any(problems):
        pytest.fail("axe found issues:\n" + "\n".join(p for p in problems if p), pytrace=False)
