from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    # ``organisation_name`` is what the layout shows: Django's LoginView puts its own
    # ``site_name`` (the request's host) into the sign-in page's context, over this one.
    name = settings.KSHARE_ORGANISATION_NAME
    return {"site_name": name, "organisation_name": name}
