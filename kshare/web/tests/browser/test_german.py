"""The main pages in German, as a browser set to German sees them: every page says lang="de",
no English sentence of kshare's own (any msgid of the catalogues) is left on it, dates read
the German way, and the switcher in the footer turns the pages French and back."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from playwright.sync_api import Browser, Page, expect

from kshare.web.tests.browser.conftest import PASSWORD
from kshare.web.tests.browser.test_accessibility import PAGE_GROUPS, World, make_world

pytestmark = pytest.mark.browser

KSHARE = Path(__file__).resolve().parents[3]
EXTRA_PAGES = [
    ("calendar-week", lambda w: "/calendar/week/", 200),
    ("calendar-month", lambda w: "/calendar/month/", 200),
    ("catch-up", lambda w: "/library/catch-up/", 200),
    ("search", lambda w: "/search/?q=python", 200),
    ("profile-edit", lambda w: "/people/me/edit/", 200),
]
ORGANISER_PAGES = [("dashboard", lambda w: "/dashboard/", 200)]


def english_sentences() -> set[str]:
    """kshare's own English sentences: every msgid of three words or more, without
    placeholders, that German writes differently."""
    found = set()
    for path in KSHARE.glob("*/locale/de/LC_MESSAGES/django.po"):
        for entry in polib.pofile(str(path)):
            text = " ".join(entry.msgid.split())
            if (
                not entry.obsolete
                and entry.msgstr
                and " ".join(entry.msgstr.split()) != text
                and len(text.split()) >= 3
                and not re.search(r"%|<|{", text)
            ):
                found.add(text)
    return found


@pytest.fixture
def world(server: str) -> World:
    return make_world()


def _german(browser: Browser) -> Page:
    context = browser.new_context(locale="de-DE")
    return context.new_page()


def _sign_in(page: Page, server: str, email: str) -> None:
    page.goto(f"{server}/signin/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.wait_for_url(f"{server}/")


def _walk(page: Page, server: str, world: World, pages, english: set[str]) -> list[str]:
    problems = []
    for name, path, status, *_action in pages:
        response = page.goto(server + path(world))
        if (response and response.status) != status:
            problems.append(f"{name}: status {response and response.status}")
            continue
        if page.locator("html").get_attribute("lang") != "de":
            problems.append(f"{name}: html lang is {page.locator('html').get_attribute('lang')}")
        text = " ".join(page.locator("body").inner_text().split())
        left = sorted(sentence for sentence in english if sentence in text)
        if left:
            problems.append(f"{name}: English left: {left[:5]}")
    return problems


def test_the_main_pages_read_in_german(browser: Browser, server: str, world: World) -> None:
    english = english_sentences()
    assert len(english) > 500  # the catalogues are there and full

    page = _german(browser)
    _sign_in(page, server, world.member.email)
    member_pages = [
        entry
        for group in ("lists", "session-pages", "ideas", "programmes-people-errors")
        for entry in PAGE_GROUPS[group]
        if entry[3] is None
    ] + EXTRA_PAGES
    problems = _walk(page, server, world, member_pages, english)

    # The session page: German headings and a German date.
    page.goto(f"{server}/sessions/{world.hosted.pk}/")
    expect(page.get_by_role("heading", name="Ablauf", exact=True)).to_be_visible()
    body = page.locator("body").inner_text()
    assert re.search(r"(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag)", body), body[
        :500
    ]
    page.context.close()

    organiser = _german(browser)
    _sign_in(organiser, server, world.organiser.email)
    organiser_pages = [
        entry for entry in PAGE_GROUPS["feedback-organiser"] if entry[3] is None
    ] + ORGANISER_PAGES
    problems += _walk(organiser, server, world, organiser_pages, english)
    organiser.context.close()

    assert problems == []


def test_the_footer_switcher_changes_the_language_and_the_profile_keeps_it(
    browser: Browser, server: str, world: World
) -> None:
    page = _german(browser)
    _sign_in(page, server, world.member.email)
    page.goto(f"{server}/sessions/")
    page.get_by_label("Sprache").select_option("fr")
    page.get_by_role("button", name="Sprache ändern").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert page.url == f"{server}/sessions/"
    world.member.refresh_from_db()
    assert world.member.language == "fr"
    # A new browser (German again) of the same person: the profile's choice wins.
    fresh = _german(browser)
    fresh.goto(f"{server}/signin/")
    expect(fresh.locator("html")).to_have_attribute("lang", "de")  # not signed in yet
    fresh.locator("#id_username").fill(world.member.email)
    fresh.locator("#id_password").fill(PASSWORD)
    fresh.get_by_role("button", name="Anmelden", exact=True).click()
    fresh.wait_for_url(f"{server}/")
    expect(fresh.locator("html")).to_have_attribute("lang", "fr")
    fresh.context.close()
    page.context.close()
