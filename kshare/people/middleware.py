from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import cached_property
from mozilla_django_oidc.middleware import SessionRefresh

from kshare.core.language import is_supported
from kshare.people import sso


class PersonTimezoneMiddleware:
    """Show times in the signed-in person's timezone (they are stored in UTC)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.tzinfo)
        else:
            timezone.deactivate()
        return self.get_response(request)


class PersonLanguageMiddleware:
    """A signed-in person's language choice (profile) wins over the cookie and the browser's
    Accept-Language, which LocaleMiddleware applied before authentication was known."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None else ""
        if chosen and user.is_authenticated and is_supported(chosen):
            translation.activate(chosen)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class SsoRecheckMiddleware(SessionRefresh):
    """Asks the identity provider again, without showing anything (``prompt=none``), whether a
    person signed in through it may still be signed in, once ``OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS``
    (``KSHARE_SSO_RECHECK_SECONDS``) have passed since the last answer. Someone disabled at the
    provider gets an error back, and the callback signs them out of kshare.

    Only for page loads (top-level navigations): never for htmx swaps, media, downloads or the
    API, which cannot follow a redirect to the provider. Password sessions are never re-checked.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        # Not the library's __init__: the endpoint and client come from the discovery document.
        MiddlewareMixin.__init__(self, get_response)
        self.OIDC_EXEMPT_URLS: list = []
        self.OIDC_STATE_SIZE = 32
        self.OIDC_AUTHENTICATION_CALLBACK_URL = settings.OIDC_AUTHENTICATION_CALLBACK_URL
        self.OIDC_USE_NONCE = True
        self.OIDC_NONCE_SIZE = 32

    @property
    def OIDC_OP_AUTHORIZATION_ENDPOINT(self) -> str:
        return sso.provider_metadata()["authorization_endpoint"]

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        config = sso.sso_config()
        return config["client_id"] if config else ""

    @property
    def OIDC_RP_SCOPES(self) -> str:
        config = sso.sso_config()
        return config["scopes"] if config else "openid email"

    @cached_property
    def exempt_urls(self) -> set[str]:
        return {reverse("sso_start"), reverse("sso_callback"), reverse("logout")}

    def is_refreshable_url(self, request: HttpRequest) -> bool:
        if sso.sso_config() is None:
            return False
        if request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate":
            return False
        if "HX-Request" in request.headers or "text/html" not in request.headers.get("Accept", ""):
            return False
        if request.session.get(BACKEND_SESSION_KEY) != "kshare.people.sso.SsoBackend":
            return False
        return super().is_refreshable_url(request)

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if not self.is_refreshable_url(request):
            return None
        try:
            return super().process_request(request)
        except sso.SsoRefused:  # the provider cannot be reached: ask again at the next page
            return None
