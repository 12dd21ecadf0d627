"""One-click unsubscribe (RFC 8058): the link in every notification mail's ``List-Unsubscribe``.

No sign-in: the signed token (person and category) is the permission. GET only asks — mail
scanners open links — and POST turns the category off. A mail client's one-click POST carries
``List-Unsubscribe=One-Click`` and no CSRF token, so the view is exempt from CSRF (a forged
POST can do no more than the token in it allows: turn one category off for one person).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kshare.outbox.categories import CATEGORIES
from kshare.outbox.preferences import mail_category_set, unsubscribe_token_read


@login_not_required
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    read = unsubscribe_token_read(token)
    exists = (
        read is not None and get_user_model().objects.filter(pk=read[0], is_active=True).exists()
    )
    if read is None or not exists:
        return render(request, "outbox/unsubscribe.html", {"invalid": True}, status=404)
    person_id, category = read
    done = False
    if request.method == "POST":
        mail_category_set(person_id=person_id, category=category, on=False)
        done = True
    return render(
        request,
        "outbox/unsubscribe.html",
        {"category": CATEGORIES[category], "done": done, "token": token},
    )
