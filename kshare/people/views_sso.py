"""Sign-in through the company's identity provider (``kshare/people/sso.py``).

``sso_start`` sends the browser to the provider with a fresh ``state``, ``nonce`` and PKCE
challenge; ``sso_callback`` takes the answer. Every refusal is a page that says why
(``sso.REFUSALS``), never a bare error.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from kshare.people.services import SsoRefused
from kshare.people.sso import REFUSALS, provider_metadata, sso_config


def sso_refused(request: HttpRequest, reason: str) -> HttpResponse:
    status, title, text = REFUSALS[reason]
    return render(
        request,
        "people/sso_refused.html",
        {"title": title, "text": text, "reason": reason},
        status=status,
    )


class SsoStartView(OIDCAuthenticationRequestView):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the library's __init__: the endpoint comes from the discovery document.
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        config = sso_config()
        if config is None:
            raise Http404(gettext("Single sign-on is not configured."))
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_metadata()["authorization_endpoint"]
        except SsoRefused as exc:
            return sso_refused(request, exc.reason)
        self.OIDC_RP_CLIENT_ID = config["client_id"]
        return super().get(request)

    def get_settings(self, attr: str, *args: Any) -> Any:  # type: ignore[override]
        config = sso_config()
        if attr == "OIDC_RP_SCOPES" and config is not None:
            return config["scopes"]
        return OIDCAuthenticationRequestView.get_settings(attr, *args)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    def get(self, request: HttpRequest) -> HttpResponse:
        if sso_config() is None:
            raise Http404(gettext("Single sign-on is not configured."))
        try:
            return super().get(request)
        except SsoRefused as exc:
            return sso_refused(request, exc.reason)
        except SuspiciousOperation:  # a state this browser's session never issued
            return sso_refused(request, "state")

    def login_failure(self) -> HttpResponse:
        request = self.request
        if request.user.is_authenticated:
            logout(request)
        if request.GET.get("error"):
            return sso_refused(request, "provider_error")
        if "code" in request.GET and "state" in request.GET and "oidc_states" in request.session:
            return sso_refused(request, "failed")
        return sso_refused(request, "state")


sso_start = login_not_required(never_cache(SsoStartView.as_view()))
sso_callback = login_not_required(never_cache(SsoCallbackView.as_view()))
