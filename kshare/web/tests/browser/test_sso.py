"""Single sign-on in Chromium against a real OpenID provider (panva's oidc-provider under node,
``kshare/people/tests/oidc``): sign-in, first-time account creation with team and role,
sign-out, and each refusal with its page."""

from __future__ import annotations

import shutil

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from kshare.people.models import Person, Role
from kshare.people.tests.factories import PersonFactory
from kshare.people.tests.oidc import OidcProvider, provider_modules, provider_start

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the single sign-on tests run a real OpenID provider")
    if not (provider_modules() / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(
            f"oidc-provider is not installed in {provider_modules()}: run `make oidc` "
            "(or point KSHARE_OIDC_PROVIDER at a folder holding node_modules/oidc-provider)."
        )
    provider = provider_start(node=node, redirect_uri=f"{live_server.url}/signin/sso/callback/")
    yield provider
    provider.stop()


@pytest.fixture
def sso(oidc_provider: OidcProvider, settings) -> OidcProvider:
    settings.KSHARE_OIDC = oidc_provider.kshare_settings()
    oidc_provider.proxy.mode = "pass"
    yield oidc_provider
    oidc_provider.proxy.mode = "pass"
    oidc_provider.wrong_state(False)


def provider_sign_in(page: Page, server: str, account: str) -> None:
    page.goto(f"{server}/signin/")
    page.get_by_role("link", name="Sign in with Acme Login").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Test identity provider")
    page.get_by_label("Account").fill(account)
    page.get_by_role("button", name="Continue").click()


def expect_refusal(page: Page, server: str, title: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert page.url.startswith(f"{server}/signin/sso/callback/")
    page.goto(f"{server}/")
    assert page.url == f"{server}/signin/?next=/"  # nobody is signed in


def test_first_sign_in_creates_the_person_with_team_and_role_then_signs_out(
    page: Page, server: str, sso: OidcProvider
) -> None:
    provider_sign_in(page, server, "ada")

    page.wait_for_url(f"{server}/")
    ada = Person.objects.select_related("team").get(email="ada@acme.example")
    assert (ada.display_name, ada.team.name, ada.role, ada.has_usable_password()) == (
        "Ada Admin",
        "Platform",
        Role.ADMIN,
        False,
    )
    assert Session.objects.count() == 1

    page.locator("details.menu > summary").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server}/signin/")
    assert Session.objects.count() == 0


def test_sign_in_links_the_existing_person_and_returns_to_the_page_asked_for(
    page: Page, server: str, sso: OidcProvider
) -> None:
    noor = PersonFactory(email="noor@acme.example", display_name="N. Haddad")

    page.goto(f"{server}/people/")
    page.get_by_role("link", name="Sign in with Acme Login").click()
    page.get_by_label("Account").fill("noor")
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(f"{server}/people/")
    noor.refresh_from_db()
    assert (noor.display_name, noor.team.name) == ("Noor Haddad", "Data Science")
    assert Person.objects.count() == 1


def test_a_wrong_state_is_refused(page: Page, server: str, sso: OidcProvider) -> None:
    page.goto(f"{server}/signin/")
    page.get_by_role("link", name="Sign in with Acme Login").click()
    page.get_by_label("Account").fill("noor")
    sso.wrong_state(True)
    page.get_by_role("button", name="Continue").click()

    expect_refusal(page, server, "This sign-in was not started here")
    assert Person.objects.filter(email="noor@acme.example").exists() is False


@pytest.mark.parametrize(
    ("mode", "title"),
    [
        ("tamper", "The sign-in could not be verified"),
        ("expired", "The sign-in has expired"),
        ("audience", "The sign-in was meant for another application"),
    ],
)
def test_a_tampered_expired_or_foreign_id_token_is_refused(
    page: Page, server: str, sso: OidcProvider, mode: str, title: str
) -> None:
    sso.proxy.mode = mode

    provider_sign_in(page, server, "noor")

    expect_refusal(page, server, title)
    assert Person.objects.count() == 0


def test_an_unverified_email_is_refused_and_not_linked(
    page: Page, server: str, sso: OidcProvider, axe
) -> None:
    uma = PersonFactory(email="uma@acme.example", display_name="Uma U.")
    page.goto(f"{server}/signin/")
    problems = [axe(page)]  # the sign-in page with the provider's button

    provider_sign_in(page, server, "uma")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your e-mail address is not verified")
    problems.append(axe(page))  # a refusal page
    expect_refusal(page, server, "Your e-mail address is not verified")
    if any(problems):
        pytest.fail("axe found issues:\n" + "\n".join(p for p in problems if p), pytrace=False)
    uma.refresh_from_db()
    assert uma.display_name == "Uma U."


def test_a_disabled_kshare_account_is_refused(page: Page, server: str, sso: OidcProvider) -> None:
    PersonFactory(email="dora@acme.example", is_active=False)

    provider_sign_in(page, server, "dora")

    expect_refusal(page, server, "Your kshare account is disabled")


def test_a_person_disabled_at_the_provider_is_signed_out_at_the_recheck_and_refused(
    page: Page, server: str, sso: OidcProvider
) -> None:
    provider_sign_in(page, server, "lea")
    page.wait_for_url(f"{server}/")
    lea = Person.objects.get(email="lea@acme.example")

    sso.disable("lea")
    # The provider's last answer is older than KSHARE_SSO_RECHECK_SECONDS.
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    store = SessionStore(session_key=cookie["value"])
    store["oidc_id_token_expiration"] = 0
    store.save()
    page.goto(f"{server}/people/")

    expect_refusal(page, server, "The identity provider did not sign you in")
    signed_in = {s.get_decoded().get("_auth_user_id") for s in Session.objects.all()}
    assert str(lea.pk) not in signed_in
    provider_sign_in(page, server, "lea")
    expect_refusal(page, server, "The identity provider did not sign you in")
