from django.conf import settings
from django.http import HttpRequest

from kshare.core.language import language_choices


def site(request: HttpRequest) -> dict:
    # ``organisation_name`` is what the layout shows: Django's LoginView puts its own
    # ``site_name`` (the request's host) into the sign-in page's context, over this one.
    name = settings.KSHARE_ORGANISATION_NAME
    # ``languages``: the footer's language switcher, each language named in itself.
    return {"site_name": name, "organisation_name": name, "languages": language_choices()}
