"""The outbox's production rule: mail leaves with a sender address of the organisation's domain.

(Django's own ``mail.E001`` already refuses a development mail backend under ``check --deploy``.)
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from kshare.web.production import in_production

LOCAL_DOMAINS = {"localhost", "localhost.localdomain", "example.com", "example.org", "invalid"}


@register(Tags.compatibility, deploy=True)
def check_sender_address(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not in_production():
        return []
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = address.rpartition("@")[2].lower()
    if "@" in address and domain and domain not in LOCAL_DOMAINS and "." in domain:
        return []
    return [
        Error(
            f"DEFAULT_FROM_EMAIL ({settings.DEFAULT_FROM_EMAIL}) is not an address of your "
            "domain, so mail servers refuse kshare's mail or file it as junk.",
            hint="Set DEFAULT_FROM_EMAIL to an address your mail server may send as, e.g. "
            "Acme Knowledge <kshare@acme.example>.",
            id="kshare.E015",
        )
    ]
