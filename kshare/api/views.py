"""Personal access tokens in the web UI: list, create (the secret shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kshare.api import services
from kshare.api.forms import TokenForm
from kshare.api.models import ApiToken


def _page(request: HttpRequest, form: TokenForm, *, secret: str = "", new=None) -> HttpResponse:
    tokens = ApiToken.objects.filter(person=request.user).order_by(
        F("revoked_at").asc(nulls_first=True), "-created_at", "-id"
    )
    response = render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": tokens, "secret": secret, "new_token": new},
    )
    # The page may show a secret: no cache may keep it.
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.token_create(
                person=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Rendered, not redirected: the secret is in this one response and nowhere else.
            return _page(request, TokenForm(), secret=secret, new=token)
    return _page(request, form)


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=pk, person=request.user).first()
    if token is None:
        raise Http404
    services.token_revoke(token=token)
    messages.success(
        request, _("“%(name)s” is revoked: it no longer works.") % {"name": token.name}
    )
    return redirect("api_tokens:tokens")
