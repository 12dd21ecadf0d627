"""Single sign-on with the company's OpenID Connect provider (``settings.KSHARE_OIDC``).

mozilla-django-oidc runs the authorization code flow: ``state`` and ``nonce`` kept in the
session, PKCE (S256), the code exchanged at the token endpoint, the ID token's signature checked
against the provider's published keys, which are fetched at each sign-in, so a rotated key is
used as soon as the provider publishes it. Two things it leaves to its users are added here: the
endpoints come from the provider's discovery document (cached, ``DISCOVERY_SECONDS``), and the
ID token must name kshare's client as its audience, the discovered issuer as its issuer, and
must not have expired. Who may sign in and what the claims change is
``services.person_sso_sign_in``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from kshare.people.services import (
    SsoRefused,
    email_domain_allowed,
    email_normalise,
    person_sso_sign_in,
)

# How long the discovery document is kept before it is fetched again.
DISCOVERY_SECONDS = 60 * 60
# Clock difference tolerated between kshare and the provider for exp/iat/nbf.
LEEWAY_SECONDS = 30
REQUIRED_METADATA = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "userinfo_endpoint",
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# reason -> (HTTP status, title, text) of the page a refused sign-in shows.
REFUSALS: dict[str, tuple[int, StrOrPromise, StrOrPromise]] = {
    "state": (
        400,
        _("This sign-in was not started here"),
        _(
            "The answer from the identity provider does not belong to a sign-in started in this "
            "browser, or it was already used. Start again from the sign-in page."
        ),
    ),
    "provider_error": (
        403,
        _("The identity provider did not sign you in"),
        _(
            "The sign-in was cancelled or refused by the identity provider. Start again from the "
            "sign-in page; if it keeps failing, ask your IT team."
        ),
    ),
    "failed": (
        403,
        _("The sign-in did not complete"),
        _("Nobody was signed in. Start again from the sign-in page."),
    ),
    "provider_unreachable": (
        503,
        _("The identity provider cannot be reached"),
        _("kshare could not talk to the identity provider just now. Try again in a minute."),
    ),
    "token_invalid": (
        403,
        _("The sign-in could not be verified"),
        _(
            "The identity provider's answer failed kshare's checks (its signature or its "
            "one-time code did not match), so nobody was signed in. Start again from the "
            "sign-in page."
        ),
    ),
    "token_expired": (
        403,
        _("The sign-in has expired"),
        _(
            "The identity provider's answer is too old to be accepted. Start again from the "
            "sign-in page; if it keeps happening, the clocks of kshare and the provider differ."
        ),
    ),
    "wrong_audience": (
        403,
        _("The sign-in was meant for another application"),
        _(
            "The identity provider's answer was issued to a different application than kshare, "
            "so it cannot sign you in here."
        ),
    ),
    "no_email": (
        403,
        _("Your account has no e-mail address"),
        _(
            "kshare links accounts by e-mail address, and the identity provider sent none. Ask "
            "your IT team to add one to your account."
        ),
    ),
    "unverified_email": (
        403,
        _("Your e-mail address is not verified"),
        _(
            "The identity provider has not verified your e-mail address, so kshare cannot link "
            "it to an account. Verify the address with your identity provider, then sign in again."
        ),
    ),
    "domain": (
        403,
        _("This e-mail address cannot sign in here"),
        _("Only addresses of the organisation's own e-mail domains may sign in to kshare."),
    ),
    "disabled": (
        403,
        _("Your kshare account is disabled"),
        _(
            "An administrator has disabled your account, so you cannot sign in. Ask an "
            "administrator if you think this is a mistake."
        ),
    ),
}


def sso_config() -> dict | None:
    return settings.KSHARE_OIDC


def provider_metadata(*, refresh: bool = False) -> dict[str, Any]:
    """The provider's discovery document (cached); ``SsoRefused("provider_unreachable")``
    when it cannot be fetched or lacks an endpoint."""
    config = sso_config()
    if config is None:
        raise SsoRefused("provider_unreachable")
    key = f"kshare:oidc-discovery:{config['discovery_url']}"
    metadata = None if refresh else cache.get(key)
    if metadata is None:
        try:
            response = requests.get(config["discovery_url"], timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            metadata = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise SsoRefused("provider_unreachable") from exc
        if not isinstance(metadata, dict) or any(
            not isinstance(metadata.get(name), str) for name in REQUIRED_METADATA
        ):
            raise SsoRefused("provider_unreachable")
        cache.set(key, metadata, DISCOVERY_SECONDS)
    return metadata


class SsoBackend(OIDCAuthenticationBackend):
    """The provider's callback as a Django authentication backend; a no-op for every other
    ``authenticate()`` call (passwords) and when single sign-on is not configured."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the library's __init__: it reads the endpoints from settings at construction,
        # and Django builds a backend for every request that loads a signed-in person.
        self.UserModel = get_user_model()
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    # The endpoints and client the library reads as attributes.
    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return provider_metadata()["token_endpoint"]

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return provider_metadata()["userinfo_endpoint"]

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return provider_metadata()["jwks_uri"]

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        config = sso_config()
        return config["client_id"] if config else ""

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        config = sso_config()
        return config["client_secret"] if config else ""

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        # Only the callback view passes the nonce: a password form posted to a URL with
        # ?code=…&state=… must not start a token exchange.
        if sso_config() is None or "nonce" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        # Django's rule, which the library's own get_user skips: a disabled person's session
        # ends at their next request.
        return ModelBackend.get_user(self, user_id)

    def get_token(self, payload: dict) -> dict:
        try:
            return super().get_token(payload)
        except requests.HTTPError as exc:
            raise SsoRefused("provider_error") from exc
        except (requests.RequestException, ValueError) as exc:
            raise SsoRefused("provider_unreachable") from exc

    def verify_token(self, token: Any, **kwargs: Any) -> Any:
        if not isinstance(token, str) or not token:
            raise SsoRefused("token_invalid")
        try:
            return super().verify_token(token, **kwargs)
        except SsoRefused:
            raise
        except requests.RequestException as exc:
            raise SsoRefused("provider_unreachable") from exc
        except (SuspiciousOperation, jwt.PyJWTError, KeyError, ValueError) as exc:
            # A signature that does not match the provider's keys, an unknown key id, a
            # nonce that is not this sign-in's.
            raise SsoRefused("token_invalid") from exc

    def _verify_jws(self, payload: Any, key: Any) -> Any:
        """The signature (the library's check) and the claims it does not check: audience
        (and ``azp`` when there are several), issuer, expiry and issue time."""
        client_id = self.OIDC_RP_CLIENT_ID
        try:
            alg = jwt.get_unverified_header(payload).get("alg")
            if alg != self.OIDC_RP_SIGN_ALGO:
                raise SsoRefused("token_invalid")
            claims = jwt.decode(
                payload,
                key,
                algorithms=[alg],
                audience=client_id,
                issuer=provider_metadata()["issuer"],
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise SsoRefused("token_expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise SsoRefused("wrong_audience") from exc
        except jwt.PyJWTError as exc:
            raise SsoRefused("token_invalid") from exc
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
            raise SsoRefused("wrong_audience")
        return claims

    def get_userinfo(self, access_token: Any, id_token: Any, payload: Any) -> dict:
        """The ID token's claims completed by the userinfo endpoint's, which must be about
        the same subject."""
        try:
            info = super().get_userinfo(access_token, id_token, payload)
        except requests.RequestException as exc:
            raise SsoRefused("provider_unreachable") from exc
        if not isinstance(info, dict) or info.get("sub") != payload.get("sub"):
            raise SsoRefused("token_invalid")
        return {**payload, **info}

    def get_or_create_user(self, access_token: Any, id_token: Any, payload: Any) -> Any:
        config = sso_config()
        assert config is not None
        return person_sso_sign_in(
            claims=self.get_userinfo(access_token, id_token, payload),
            config=config,
            domains=settings.KSHARE_SIGNIN_DOMAINS,
        )


def password_sign_in_refusal(*, email: str) -> str | None:
    """Why ``email`` may not sign in with a password, or ``None``.

    ``KSHARE_SSO_REQUIRED`` leaves passwords to the break-glass admins
    (``KSHARE_SSO_BREAK_GLASS``), and ``KSHARE_SIGNIN_DOMAINS`` limits every sign-in to the
    organisation's domains. Decided from the address typed and the settings alone, before any
    password is checked, so the answer says nothing about which addresses have accounts.
    """
    email = email_normalise(email)
    config = sso_config()
    if settings.KSHARE_SSO_REQUIRED and email not in settings.KSHARE_SSO_BREAK_GLASS:
        if config is None:
            return gettext(
                "Password sign-in is switched off here: use “Sign in with the identity provider”."
            )
        return gettext("Password sign-in is switched off here: use “Sign in with %(name)s”.") % {
            "name": config["name"]
        }
    if not email_domain_allowed(email=email, domains=settings.KSHARE_SIGNIN_DOMAINS):
        return gettext(
            "This e-mail address cannot sign in here: only the organisation's own domains can."
        )
    return None
