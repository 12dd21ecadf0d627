"""The outbox's production rules: mail leaves with a sender address of the organisation's domain,
and with Message-IDs on the site's own host name.

(Django's own ``mail.E001`` already refuses a development mail backend under ``check --deploy``.)
"""

from __future__ import annotations

import ipaddress
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from kshare.core.production import in_production

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


def _is_local_host(host: str) -> bool:
    if host in LOCAL_DOMAINS or host.endswith((".localhost", ".local")) or "." not in host:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@register(Tags.compatibility, deploy=True)
def check_message_id_domain(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Message-IDs are ``<…@SITE_URL's host>``: unique in the world only on a real name."""
    if not in_production() or not settings.KSHARE_SITE_URL_SET:
        return []  # an unset SITE_URL is kshare.E010's to report
    host = (urlsplit(settings.SITE_URL).hostname or "").lower()
    if not host or not _is_local_host(host):
        return []  # no host at all is kshare.E011's to report
    return [
        Warning(
            f"SITE_URL's host {host} is not a public name, and kshare's Message-IDs end with it: "
            "another installation could send the same ids, and mail clients would take a "
            "different mail for a copy of one already received.",
            hint="Set SITE_URL to the address people use, e.g. https://kshare.example.com.",
            id="kshare.W041",
        )
    ]
