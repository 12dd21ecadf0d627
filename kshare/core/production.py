"""Whether kshare runs in production, for the system checks of every app.

Production means HTTPS on and not DEBUG (``settings.KSHARE_HTTPS``: neither ``DEBUG=1`` nor
``KSHARE_INSECURE_HTTP=1``). The rules themselves live with what they check: the site's in
``kshare/web/production.py``, the mail rule in ``kshare/outbox/checks.py``, the storage rules in
``kshare/library/checks.py``; they all ask this one question here.
"""

from __future__ import annotations

from django.conf import settings


def in_production() -> bool:
    return bool(settings.KSHARE_HTTPS) and not settings.DEBUG
