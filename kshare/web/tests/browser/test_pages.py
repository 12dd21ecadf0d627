"""Pages as people see them: on a phone, at a desk, and under the strict Content-Security-Policy.

- On a phone (390 x 844) a session page shows what you do first (answer, check in, join), the
  navigation folds behind a "Menu" button that works without JavaScript.
- The dashboard reads at a glance and is not a 5,700-px scroll; wide tables scroll in their box.
- No page triggers a CSP violation, for a member, an organiser or an admin.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from kshare.outbox.models import OutboxMessage
from kshare.outbox.tests.factories import OutboxMessageFactory
from kshare.people.tests.factories import AdminFactory, PersonFactory
from kshare.sessions.models import Session
from kshare.web.tests.browser.conftest import sign_in
from kshare.web.tests.browser.test_accessibility import PAGE_GROUPS, World, make_world

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}

# Collects every securitypolicyviolation the page reports, before any of its own script runs.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
    + ` at ${e.sourceFile || ''}:${e.lineNumber}`
  );
});
"""


@pytest.fixture
def world(server: str) -> World:
    return make_world()


def _phone(browser: Browser) -> Page:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    return context.new_page()


# -- phone -----------------------------------------------------------------------------------------


def test_on_a_phone_the_rsvp_comes_before_the_description(
    browser: Browser, server: str, world: World
) -> None:
    page = _phone(browser)
    sign_in(page, server, PersonFactory(display_name="Pia Phone"))
    # A colleague's session, with an abstract, an agenda, history and ideas.
    page.goto(f"{server}/sessions/{world.hosted.pk}/")
    yes = page.get_by_role("button", name="Going", exact=True)
    expect(yes).to_be_visible()
    rsvp = yes.bounding_box()
    about = page.get_by_role("heading", name="About", exact=True).bounding_box()
    agenda = page.get_by_role("heading", name="Agenda", exact=True).bounding_box()
    join = page.get_by_role("link", name="Join the call").bounding_box()
    assert rsvp is not None and about is not None and agenda is not None and join is not None
    assert rsvp["y"] + rsvp["height"] <= PHONE["height"], rsvp
    assert rsvp["y"] < about["y"] < agenda["y"]
    # The join link is one of the actions too: before the description.
    assert join["y"] < about["y"]
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    page.context.close()


def test_on_a_phone_the_navigation_folds_behind_a_menu_button(
    browser: Browser, server: str, world: World
) -> None:
    page = _phone(browser)
    sign_in(page, server, world.member)
    page.goto(f"{server}/sessions/")
    nav = page.get_by_role("navigation", name="Main")
    ideas = nav.get_by_role("link", name="Ideas", exact=True)
    expect(ideas).to_be_hidden()
    menu = nav.get_by_text("Menu", exact=True)
    expect(menu).to_be_visible()
    box = menu.bounding_box()
    assert box is not None and box["y"] < 120
    # Keyboard: focus the button and press Enter.
    menu.focus()
    page.keyboard.press("Enter")
    expect(ideas).to_be_visible()
    ideas.click()
    expect(page).to_have_url(f"{server}/ideas/")
    expect(
        page.get_by_role("navigation", name="Main").get_by_text("Menu", exact=True)
    ).to_be_visible()
    page.context.close()


def test_the_phone_menu_opens_without_javascript(
    browser: Browser, server: str, world: World
) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server, world.member)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Topics", exact=True)).to_be_hidden()
    nav.get_by_text("Menu", exact=True).click()
    expect(nav.get_by_role("link", name="Topics", exact=True)).to_be_visible()
    context.close()


def test_at_a_desk_the_navigation_shows_its_links_without_a_menu(
    page: Page, server: str, world: World
) -> None:
    page.set_viewport_size(DESK)
    sign_in(page, server, world.member)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Ideas", exact=True)).to_be_visible()
    expect(nav.get_by_text("Menu", exact=True)).to_be_hidden()


# -- dashboard and wide tables ---------------------------------------------------------------------

# Measured at 1280 px with this test's organisation: 5,482 px on main before the dashboard folded
# its sections. After: the figures at a glance, then one folded section each (1,866 px with the
# demo organisation of `make run`).
DASHBOARD_MAX_HEIGHT = 2000


def test_the_dashboard_fits_a_couple_of_screens_and_its_sections_fold(
    page: Page, server: str, world: World, axe
) -> None:
    page.set_viewport_size(DESK)
    sign_in(page, server, world.organiser)
    page.goto(f"{server}/dashboard/")
    height = page.evaluate("document.scrollingElement.scrollHeight")
    assert height <= DASHBOARD_MAX_HEIGHT, f"the dashboard is {height} px high"
    # The most important figures come first, each with its number.
    glance = page.get_by_role("region", name="At a glance")
    expect(glance.locator(".glance-figure").first).to_contain_text("Sessions per month")
    sections = page.locator("details.dashboard-figure")
    assert sections.count() == 9
    # Every section is folded and opens with a click (no JavaScript needed).
    reach = page.locator("details#fig-reach")
    expect(reach.locator("svg.chart")).to_be_hidden()
    reach.locator("summary").first.click()
    expect(reach.locator("svg.chart")).to_be_visible()
    # A figure at a glance links to its section and opens it.
    hosts = page.locator("details#fig-hosts")
    expect(hosts).not_to_have_attribute("open", "")
    glance.get_by_role("link", name=re.compile("^Hosts per quarter")).click()
    expect(hosts).to_have_attribute("open", "")
    expect(hosts.locator("svg.chart")).to_be_in_viewport()
    # Distinct series have distinct colours.
    page.locator("details#fig-sessions > summary").click()
    fills = page.evaluate(
        """() => [...document.querySelectorAll('#fig-sessions svg rect[class*="chart-series-"]')]
           .map(r => r.getAttribute('class') + ' ' + getComputedStyle(r).fill)"""
    )
    by_series = {f.split(" ")[1]: f.split(" ", 2)[2] for f in fills}
    assert len(by_series) >= 2
    assert len(set(by_series.values())) == len(by_series), by_series
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert (scheme, axe(page)) == (scheme, "")


# The outermost elements that reach past the right edge of the window, to name in a failure.
WIDER_THAN_VIEWPORT = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 1
    && !(e.parentElement && e.parentElement.getBoundingClientRect().right > innerWidth + 1))
  .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""


def test_wide_tables_scroll_inside_their_box_not_the_page(
    page: Page, server: str, world: World
) -> None:
    admin = AdminFactory(display_name="Ada Admin")
    long = "x" * 400
    for i in range(3):
        OutboxMessageFactory(
            subject=f"A very long subject line number {i} " + long,
            to=[f"someone-with-a-long-address-{i}@{'very-long-domain-' * 4}example.com"],
            status=OutboxMessage.Status.FAILED,
            attempts=10,
            last_error="SMTPServerDisconnected: " + long,
        )
    page.set_viewport_size(DESK)
    sign_in(page, server, admin)
    wide = []
    for path in ("/outbox/", "/audit/", "/retention/", "/dashboard/", "/webhooks/", "/api/tokens/"):
        page.goto(server + path)
        for details in page.locator("details").all():
            if details.locator("summary").first.is_visible():
                details.evaluate("d => d.open = true")
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > DESK["width"]:
            culprits = page.evaluate(WIDER_THAN_VIEWPORT)
            wide.append(f"{path}: {width} px ({', '.join(culprits[:5])})")
    assert wide == []


# -- calendar, header, ideas -----------------------------------------------------------------------


def test_calendar_goes_to_this_week_and_month_view_opens_the_month_being_viewed(
    page: Page, server: str, world: World
) -> None:
    sign_in(page, server, world.member)
    page.goto(f"{server}/calendar/")
    # This week where the member is (Berlin), which is not the server's week late on a Sunday.
    today = timezone.localdate(timezone=world.member.tzinfo)
    monday = today - timedelta(days=today.weekday())
    expect(page).to_have_url(f"{server}/calendar/week/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Week of {monday.day} ")
    # A week that starts in December and is mostly January belongs to January.
    page.goto(f"{server}/calendar/week/2029-12-31/")
    page.get_by_role("link", name="Month view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("January 2030")
    page.goto(f"{server}/calendar/week/2029-12-24/")
    page.get_by_role("link", name="Month view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("December 2029")


def test_signed_out_header_shows_the_product_name(page: Page, server: str, settings) -> None:
    # Django's sign-in view names the site after the request's host ("localhost:54321"); the
    # header shows the product (or the organisation's name for it) on every signed-out page.
    for path in ("/signin/", "/password/reset/"):
        page.goto(server + path)
        brand = page.get_by_role("banner").get_by_role("link").first
        expect(brand).to_have_accessible_name("kshare")
        expect(page).to_have_title(re.compile(r" · kshare$"))
    settings.KSHARE_ORGANISATION_NAME = "Acme Knowledge"
    page.goto(f"{server}/signin/")
    expect(page.get_by_role("banner").get_by_role("link").first).to_have_accessible_name(
        "Acme Knowledge"
    )


def test_an_idea_page_shows_its_title_once(page: Page, server: str, world: World) -> None:
    sign_in(page, server, world.member)
    page.goto(f"{server}/ideas/{world.idea.pk}/")
    main = page.locator("main")
    expect(main.get_by_text("Record every talk", exact=True)).to_have_count(1)
    expect(main.get_by_role("heading", name="Record every talk", level=1)).to_be_visible()


# -- Content-Security-Policy -----------------------------------------------------------------------


def _organiser_pages(w: World) -> list[str]:
    held = Session.objects.get(programme=w.programme, title="Last month's talk")
    return [
        "/dashboard/",
        "/feedback/hosts/",
        f"/feedback/sessions/{held.pk}/",
        f"/feedback/programmes/{w.programme.slug}/",
        f"/feedback/programmes/{w.programme.slug}/form/",
        f"/sessions/{w.hosted.pk}/",
        f"/sessions/{w.hosted.pk}/invite/",
        f"/sessions/{w.hosted.pk}/attendance/",
        f"/sessions/{w.hosted.pk}/check-in/",
        f"/sessions/{w.hosted.pk}/questions/",
        f"/calendar/slots/{w.proposed.pk}/",
        "/programmes/new/",
        f"/programmes/{w.programme.slug}/edit/",
        "/people/invite/",
        "/people/import/",
        "/webhooks/",
        "/rhythm/",
        "/rhythm/new/",
    ]


ADMIN_PAGES = ["/outbox/", "/audit/", "/retention/", "/api/tokens/", "/api/v1/docs"]

MEMBER_PAGES: list[str | Callable[[World], str]] = [
    *(
        path
        for group, pages in PAGE_GROUPS.items()
        if group != "signed-out"
        for _, path, _, _ in pages
    ),
    "/calendar/week/",
    "/calendar/month/",
    "/calendar/agenda/",
    "/calendar/subscribe/",
    "/library/catch-up/",
    "/feedback/",
    "/search/?q=playwright",
    "/people/me/edit/",
    "/topics/scheduled/",
    "/sessions/mine/hosting/",
]


def _violations(page: Page, server: str, paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
        found += [f"{path}: {v}" for v in page.evaluate("window.__cspViolations || []")]
    return found


def _htmx_actions(page: Page, server: str, w: World) -> list[str]:
    """What htmx swaps in must keep to the policy too: an answer, a star, a vote, a comment."""
    page.goto(f"{server}/sessions/{w.not_mine.pk}/")
    page.get_by_role("button", name="Maybe", exact=True).click()
    expect(page.locator("#rsvp")).to_contain_text("Your answer: Maybe")
    page.locator(".star-button").first.click()
    expect(page.locator(".star-button").first).to_have_attribute("aria-pressed", "true")
    page.goto(f"{server}/ideas/{w.idea.pk}/")
    page.locator(".vote-button").click()
    expect(page.locator(".vote-button")).to_have_attribute("aria-pressed", "false")
    page.get_by_role("textbox", name="Comment").fill("And captions.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#comments")).to_contain_text("And captions.")
    page.wait_for_load_state("networkidle")
    return [f"after htmx: {v}" for v in page.evaluate("window.__cspViolations || []")]


@pytest.mark.parametrize("who", ["signed-out", "member", "organiser", "admin"])
def test_no_page_violates_the_content_security_policy(
    browser: Browser, server: str, world: World, who: str
) -> None:
    context = browser.new_context(viewport=DESK)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    console = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    if who == "signed-out":
        paths = ["/signin/", "/password/reset/"]
    elif who == "member":
        sign_in(page, server, world.member)
        paths = [p if isinstance(p, str) else p(world) for p in MEMBER_PAGES]
    elif who == "organiser":
        sign_in(page, server, world.organiser)
        paths = _organiser_pages(world)
    else:
        sign_in(page, server, AdminFactory(display_name="Ada Admin"))
        paths = [*ADMIN_PAGES, "/dashboard/", "/"]
    found = _violations(page, server, paths)
    if who == "member":
        found += _htmx_actions(page, server, world)
    context.close()
    assert (found, console) == ([], [])
