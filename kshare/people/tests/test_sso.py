"""Single sign-on below the browser: configuration, the claims → person rules, the pages.

The whole flow against a real OpenID provider is in ``test_sso_provider.py`` (requests) and
``test_sso_browser.py`` (Chromium).
"""

import base64
import hashlib
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.auth import get_user
from django.core.cache import cache
from django.urls import reverse

from kshare import config
from kshare.audit.models import AuditEntry
from kshare.people.models import AccountInvite, AuthAttempt, Person, Role, Team
from kshare.people.services import (
    SsoRefused,
    account_invite_create,
    person_sso_sign_in,
    sso_role,
)
from kshare.people.sso import SsoBackend
from kshare.people.tests.factories import (
    AccountInviteFactory,
    AdminFactory,
    PersonFactory,
    TeamFactory,
)

SSO = {
    "discovery_url": "https://login.acme.example/.well-known/openid-configuration",
    "client_id": "kshare",
    "client_secret": "s3cret",
    "name": "Acme Login",
    "scopes": "openid email profile",
    "name_claim": "name",
    "team_claim": "team",
    "groups_claim": "groups",
    "admin_groups": ["kshare-admins"],
    "organiser_groups": ["kshare-organisers", "l&d"],
}


def claims(**extra):
    return {
        "sub": "u-1",
        "email": "Noor@Acme.example",
        "email_verified": True,
        "name": "Noor  Haddad",
        **extra,
    }


# --- Configuration -------------------------------------------------------------------------


def test_oidc_is_off_without_a_discovery_url(monkeypatch):
    monkeypatch.delenv("KSHARE_OIDC_DISCOVERY_URL", raising=False)

    assert config.oidc() is None


def test_oidc_reads_every_setting(monkeypatch):
    monkeypatch.setenv("KSHARE_OIDC_DISCOVERY_URL", "https://login.acme.example/realms/acme")
    monkeypatch.setenv("KSHARE_OIDC_CLIENT_ID", "kshare")
    monkeypatch.setenv("KSHARE_OIDC_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("KSHARE_OIDC_NAME", "Acme Login")
    monkeypatch.setenv("KSHARE_OIDC_TEAM_CLAIM", "department")
    monkeypatch.setenv("KSHARE_OIDC_GROUPS_CLAIM", "roles")
    monkeypatch.setenv("KSHARE_OIDC_ADMIN_GROUPS", "it, kshare-admins")
    monkeypatch.setenv("KSHARE_OIDC_ORGANISER_GROUPS", "l&d")

    assert config.oidc() == {
        "discovery_url": "https://login.acme.example/realms/acme/.well-known/openid-configuration",
        "client_id": "kshare",
        "client_secret": "s3cret",
        "name": "Acme Login",
        "scopes": "openid email profile",
        "name_claim": "name",
        "team_claim": "department",
        "groups_claim": "roles",
        "admin_groups": ["it", "kshare-admins"],
        "organiser_groups": ["l&d"],
    }


def test_oidc_refuses_plain_http_to_another_machine(monkeypatch):
    monkeypatch.setenv("KSHARE_OIDC_DISCOVERY_URL", "http://login.acme.example")
    monkeypatch.setenv("KSHARE_OIDC_CLIENT_ID", "kshare")
    monkeypatch.setenv("KSHARE_OIDC_CLIENT_SECRET", "s3cret")

    with pytest.raises(config.ConfigError) as exc:
        config.oidc()

    assert str(exc.value) == (
        "KSHARE_OIDC_DISCOVERY_URL must use https:// (plain http is allowed only for a provider "
        "on this machine); got 'http://login.acme.example'."
    )


def test_oidc_allows_plain_http_on_loopback(monkeypatch):
    monkeypatch.setenv("KSHARE_OIDC_DISCOVERY_URL", "http://127.0.0.1:9000/")
    monkeypatch.setenv("KSHARE_OIDC_CLIENT_ID", "kshare")
    monkeypatch.setenv("KSHARE_OIDC_CLIENT_SECRET", "s3cret")

    assert config.oidc()["discovery_url"] == (
        "http://127.0.0.1:9000/.well-known/openid-configuration"
    )


def test_oidc_needs_client_id_and_secret(monkeypatch):
    monkeypatch.setenv("KSHARE_OIDC_DISCOVERY_URL", "https://login.acme.example")
    monkeypatch.setenv("KSHARE_OIDC_CLIENT_ID", "kshare")
    monkeypatch.delenv("KSHARE_OIDC_CLIENT_SECRET", raising=False)
    monkeypatch.delenv("KSHARE_OIDC_CLIENT_SECRET_FILE", raising=False)

    with pytest.raises(config.ConfigError) as exc:
        config.oidc()

    assert str(exc.value) == (
        "KSHARE_OIDC_DISCOVERY_URL is set, so KSHARE_OIDC_CLIENT_ID and "
        "KSHARE_OIDC_CLIENT_SECRET (or KSHARE_OIDC_CLIENT_SECRET_FILE) are needed too."
    )


def test_signin_domains_are_read_lower_case(monkeypatch):
    monkeypatch.setenv("KSHARE_SIGNIN_DOMAINS", "Acme.example, @acme-labs.example")

    assert config.signin_domains() == ["acme.example", "acme-labs.example"]


def test_signin_domains_refuse_an_address(monkeypatch):
    monkeypatch.setenv("KSHARE_SIGNIN_DOMAINS", "it@acme.example")

    with pytest.raises(config.ConfigError) as exc:
        config.signin_domains()

    assert str(exc.value) == (
        "KSHARE_SIGNIN_DOMAINS must list e-mail domains such as acme.example; "
        "'it@acme.example' is not one."
    )


# --- Claims → person -----------------------------------------------------------------------


@pytest.mark.django_db
def test_first_sign_in_creates_the_person_with_name_team_and_role():
    person = person_sso_sign_in(
        claims=claims(team="Data Science", groups=["staff", "l&d"]), config=SSO, domains=[]
    )

    person.refresh_from_db()
    assert (person.email, person.display_name, person.team.name, person.role) == (
        "noor@acme.example",
        "Noor Haddad",
        "Data Science",
        Role.ORGANISER,
    )
    assert person.has_usable_password() is False
    assert Team.objects.get(slug="data-science").name == "Data Science"
    assert (
        AuditEntry.objects.filter(
            action=AuditEntry.Action.CREATE, target_type="people.person", target_id=str(person.pk)
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_sign_in_links_the_existing_person_by_verified_email_and_finds_their_team():
    team = TeamFactory(name="Data Science", slug="data-science")
    existing = PersonFactory(email="noor@acme.example", display_name="N. Haddad", team=None)

    person = person_sso_sign_in(claims=claims(team="data science"), config=SSO, domains=[])

    existing.refresh_from_db()
    assert person.pk == existing.pk
    assert (existing.display_name, existing.team_id, existing.has_usable_password()) == (
        "Noor Haddad",
        team.pk,
        True,
    )
    assert Person.objects.count() == 1
    assert Team.objects.count() == 1


@pytest.mark.django_db
def test_unverified_email_is_refused_and_never_linked():
    existing = PersonFactory(email="noor@acme.example", display_name="N. Haddad")

    for verified in (False, None, "false", "yes"):
        with pytest.raises(SsoRefused) as exc:
            person_sso_sign_in(
                claims=claims(email_verified=verified, name="Mallory"), config=SSO, domains=[]
            )
        assert exc.value.reason == "unverified_email"

    existing.refresh_from_db()
    assert existing.display_name == "N. Haddad"
    assert Person.objects.count() == 1


@pytest.mark.django_db
def test_email_verified_sent_as_the_string_true_counts():
    person = person_sso_sign_in(claims=claims(email_verified="true"), config=SSO, domains=[])

    assert person.email == "noor@acme.example"


@pytest.mark.django_db
def test_a_disabled_person_is_refused_and_stays_disabled():
    existing = PersonFactory(email="noor@acme.example", is_active=False)

    with pytest.raises(SsoRefused) as exc:
        person_sso_sign_in(claims=claims(), config=SSO, domains=[])

    assert exc.value.reason == "disabled"
    existing.refresh_from_db()
    assert existing.is_active is False


@pytest.mark.django_db
def test_an_address_outside_the_signin_domains_is_refused():
    with pytest.raises(SsoRefused) as exc:
        person_sso_sign_in(
            claims=claims(email="noor@gmail.example"), config=SSO, domains=["acme.example"]
        )

    assert exc.value.reason == "domain"
    assert Person.objects.count() == 0
    person = person_sso_sign_in(claims=claims(), config=SSO, domains=["acme.example"])
    assert person.email == "noor@acme.example"


@pytest.mark.django_db
@pytest.mark.parametrize("email", [None, "", "not-an-address", ["noor@acme.example"]])
def test_claims_without_a_usable_email_are_refused(email):
    with pytest.raises(SsoRefused) as exc:
        person_sso_sign_in(claims=claims(email=email), config=SSO, domains=[])

    assert exc.value.reason == "no_email"


@pytest.mark.django_db
def test_first_sign_in_of_an_invited_person_takes_the_invitation_and_accepts_it(organiser):
    team = TeamFactory(name="Platform", slug="platform")
    invite = AccountInviteFactory(
        email="noor@acme.example", team=team, role=Role.MEMBER, invited_by=organiser
    )
    no_groups = {**SSO, "admin_groups": [], "organiser_groups": []}

    person = person_sso_sign_in(claims=claims(), config=no_groups, domains=[])

    invite.refresh_from_db()
    assert (person.team_id, person.role) == (team.pk, Role.MEMBER)
    assert invite.person_id == person.pk
    assert invite.accepted_at is not None
    assert AccountInvite.objects.filter(accepted_at__isnull=True).count() == 0


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["kshare-admins", "l&d"], Role.ADMIN),
        (["l&d"], Role.ORGANISER),
        ("kshare-organisers", Role.ORGANISER),
        (["staff"], Role.MEMBER),
        (None, Role.MEMBER),
    ],
)
def test_groups_map_to_roles(groups, role):
    assert sso_role(claims=claims(groups=groups), config=SSO) == role


def test_roles_stay_in_kshare_when_no_group_is_mapped():
    no_groups = {**SSO, "admin_groups": [], "organiser_groups": []}

    assert sso_role(claims=claims(groups=["kshare-admins"]), config=no_groups) is None


@pytest.mark.django_db
def test_leaving_the_admin_group_at_the_provider_makes_an_admin_a_member():
    existing = PersonFactory(email="noor@acme.example", role=Role.ADMIN)

    person_sso_sign_in(claims=claims(groups=["staff"]), config=SSO, domains=[])

    existing.refresh_from_db()
    assert existing.role == Role.MEMBER


# --- Pages and the backend -----------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_page_offers_the_provider_when_configured(client, settings):
    settings.KSHARE_OIDC = SSO

    response = client.get(reverse("login") + "?next=/people/")

    assert response.status_code == 200
    assert (
        '<a class="button button-primary" id="sso-sign-in" href="/signin/sso/?next=/people/">'
        "Sign in with Acme Login</a>"
    ) in response.content.decode()


@pytest.mark.django_db
def test_sign_in_page_has_no_provider_button_without_configuration(client, settings):
    settings.KSHARE_OIDC = None

    response = client.get(reverse("login"))

    assert 'id="sso-sign-in"' not in response.content.decode()


@pytest.mark.django_db
def test_sso_pages_do_not_exist_without_configuration(client, settings):
    settings.KSHARE_OIDC = None

    assert client.get(reverse("sso_start")).status_code == 404
    assert client.get(reverse("sso_callback") + "?code=a&state=b").status_code == 404


@pytest.mark.django_db
def test_callback_with_a_state_this_browser_never_started_is_refused(client, settings):
    settings.KSHARE_OIDC = SSO

    response = client.get(reverse("sso_callback") + "?code=abc&state=forged")

    assert response.status_code == 400
    assert response.context["reason"] == "state"
    assert "<h1>This sign-in was not started here</h1>" in response.content.decode()
    assert get_user(client).is_authenticated is False


@pytest.mark.django_db
def test_callback_with_the_providers_error_is_refused_with_its_page(client, settings):
    settings.KSHARE_OIDC = SSO

    response = client.get(reverse("sso_callback") + "?error=access_denied&state=x")

    assert response.status_code == 403
    assert response.context["reason"] == "provider_error"


@pytest.mark.django_db
def test_backend_ignores_password_sign_in_and_ends_a_disabled_persons_session(settings, rf):
    settings.KSHARE_OIDC = SSO
    person = PersonFactory(is_active=False)
    request = rf.post("/signin/?code=abc&state=xyz")

    assert SsoBackend().authenticate(request, username=person.email, password="x") is None
    assert SsoBackend().get_user(person.pk) is None


# --- Password sign-in under KSHARE_SSO_REQUIRED and KSHARE_SIGNIN_DOMAINS -------------------


@pytest.mark.django_db
def test_required_sso_refuses_password_sign_in_before_checking_the_password(client, settings):
    settings.KSHARE_OIDC = SSO
    settings.KSHARE_SSO_REQUIRED = True
    settings.KSHARE_SSO_BREAK_GLASS = ["root@acme.example"]
    PersonFactory(email="noor@acme.example")

    response = client.post(
        reverse("login"), {"username": "noor@acme.example", "password": "correct horse battery"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Password sign-in is switched off here: use “Sign in with Acme Login”."
    ]
    assert get_user(client).is_authenticated is False
    assert AuthAttempt.objects.count() == 0


@pytest.mark.django_db
def test_required_sso_still_lets_the_break_glass_admin_use_a_password(client, settings):
    settings.KSHARE_OIDC = SSO
    settings.KSHARE_SSO_REQUIRED = True
    settings.KSHARE_SSO_BREAK_GLASS = ["root@acme.example"]
    root = AdminFactory(email="root@acme.example")

    response = client.post(
        reverse("login"), {"username": "ROOT@acme.example", "password": "correct horse battery"}
    )

    assert response.status_code == 302
    assert get_user(client).pk == root.pk


@pytest.mark.django_db
def test_required_sso_says_so_on_the_sign_in_page(client, settings):
    settings.KSHARE_OIDC = SSO
    settings.KSHARE_SSO_REQUIRED = True

    response = client.get(reverse("login"))

    assert (
        '<p class="meta">Password sign-in is kept for break-glass administrators only:</p>'
        in response.content.decode()
    )


@pytest.mark.django_db
def test_signin_domains_refuse_password_sign_in_from_other_domains(client, settings):
    settings.KSHARE_SIGNIN_DOMAINS = ["acme.example"]
    outsider = PersonFactory(email="contractor@gmail.example")
    insider = PersonFactory(email="noor@acme.example")

    refused = client.post(
        reverse("login"), {"username": outsider.email, "password": "correct horse battery"}
    )

    assert refused.context["form"].non_field_errors() == [
        "This e-mail address cannot sign in here: only the organisation's own domains can."
    ]
    assert get_user(client).is_authenticated is False
    client.post(reverse("login"), {"username": insider.email, "password": "correct horse battery"})
    assert get_user(client).pk == insider.pk


# --- The silent re-check of SSO sessions ---------------------------------------------------


@pytest.mark.django_db
def test_password_sessions_are_never_rechecked_with_the_provider(client, settings):
    settings.KSHARE_OIDC = SSO
    person = PersonFactory()
    client.force_login(person, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get(reverse("people:list"), headers={"accept": "text/html"})

    assert response.status_code == 200


@pytest.mark.django_db
def test_htmx_requests_and_media_of_an_sso_session_are_not_rechecked(client, settings):
    settings.KSHARE_OIDC = SSO
    person = PersonFactory()
    client.force_login(person, backend="kshare.people.sso.SsoBackend")
    session = client.session
    session["oidc_id_token_expiration"] = 0
    session.save()

    htmx = client.get(reverse("people:list"), headers={"accept": "text/html", "hx-request": "true"})
    video = client.get(
        reverse("people:list"), headers={"accept": "text/html", "sec-fetch-mode": "no-cors"}
    )

    assert (htmx.status_code, video.status_code) == (200, 200)


@pytest.mark.django_db
def test_sso_start_sends_state_nonce_and_an_s256_pkce_challenge(client, settings):
    settings.KSHARE_OIDC = SSO
    # The provider's discovery document, as if fetched a moment ago (the browser tests fetch
    # it from a real provider).
    cache.set(
        f"kshare:oidc-discovery:{SSO['discovery_url']}",
        {
            "issuer": "https://login.acme.example",
            "authorization_endpoint": "https://login.acme.example/auth",
            "token_endpoint": "https://login.acme.example/token",
            "jwks_uri": "https://login.acme.example/jwks",
            "userinfo_endpoint": "https://login.acme.example/me",
        },
    )

    response = client.get(reverse("sso_start") + "?next=/people/")

    url = urlsplit(response["Location"])
    params = dict(parse_qsl(url.query))
    ((state, stored),) = client.session["oidc_states"].items()
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(stored["code_verifier"].encode()).digest()
    ).rstrip(b"=")
    assert (response.status_code, url.netloc, url.path) == (302, "login.acme.example", "/auth")
    assert params == {
        "response_type": "code",
        "scope": "openid email profile",
        "client_id": "kshare",
        "redirect_uri": "http://testserver/signin/sso/callback/",
        "state": state,
        "nonce": stored["nonce"],
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
    }
    assert len(stored["code_verifier"]) == 64
    assert client.session["oidc_login_next"] == "/people/"


# --- An invitation when passwords are not for everyone ---------------------------------------


def _invite(email: str) -> str:
    team = TeamFactory(name="Data")
    _, token = account_invite_create(by=AdminFactory(), email=email, team=team)
    return reverse("signup", args=[token])


@pytest.mark.django_db
def test_with_sso_required_the_invitation_offers_the_provider_and_sets_no_password(
    client, settings
):
    settings.KSHARE_OIDC = SSO
    settings.KSHARE_SSO_REQUIRED = True
    url = _invite("noor@acme.example")

    page = client.get(url)
    posted = client.post(
        url,
        {
            "display_name": "Noor",
            "timezone": "UTC",
            "password1": "correct horse battery",
            "password2": "correct horse battery",
        },
    )

    assert page.status_code == 200
    assert page.templates[0].name == "people/signup_sso.html"
    assert f'href="{reverse("sso_start")}"' in page.content.decode()
    assert "Sign in with Acme Login" in page.content.decode()
    assert "password1" not in page.content.decode()
    assert posted.status_code == 403
    assert Person.objects.filter(email="noor@acme.example").exists() is False
    assert AccountInvite.objects.get(email="noor@acme.example").accepted_at is None
    assert get_user(client).is_authenticated is False


@pytest.mark.django_db
def test_a_break_glass_admin_invited_with_sso_required_still_chooses_a_password(client, settings):
    settings.KSHARE_OIDC = SSO
    settings.KSHARE_SSO_REQUIRED = True
    settings.KSHARE_SSO_BREAK_GLASS = ["root@acme.example"]

    page = client.get(_invite("root@acme.example"))

    assert page.templates[0].name == "people/signup.html"
    assert 'name="password1"' in page.content.decode()


@pytest.mark.django_db
def test_an_invitation_outside_the_signin_domains_says_it_cannot_sign_in(client, settings):
    settings.KSHARE_OIDC = SSO
    settings.KSHARE_SIGNIN_DOMAINS = ["acme.example"]

    page = client.get(_invite("noor@elsewhere.example"))

    assert page.templates[0].name == "people/signup_sso.html"
    assert "only the organisation&#x27;s own domains can" in page.content.decode()
    assert "Sign in with" not in page.content.decode()
