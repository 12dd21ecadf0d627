"""kshare's own production rules: system checks (``kshare check --deploy``) and the start-up
refusal of `kshare serve` and `kshare worker`.

Production means HTTPS on and not DEBUG (``in_production``, ``kshare/core/production.py``).
Every rule says in a sentence what is wrong and what to set.
Ids ``kshare.E010`` to ``kshare.E013`` and ``kshare.W014`` live here; the mail rule is the outbox's
(``kshare/outbox/checks.py``), the storage rules the library's (``kshare/library/checks.py``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.http.request import validate_host

from kshare.core.production import in_production

EXAMPLE = "https://kshare.example.com"


def site_url_problems() -> list[CheckMessage]:
    """What is wrong with SITE_URL for production (empty when it is fine or not production)."""
    if not in_production():
        return []
    if not settings.KSHARE_SITE_URL_SET:
        return [
            Error(
                "SITE_URL is not set, so links in mail, calendar feeds and QR codes would point "
                f"to {settings.SITE_URL}.",
                hint=f"Set SITE_URL to the https address people use, e.g. {EXAMPLE}.",
                id="kshare.E010",
            )
        ]
    parts = urlsplit(settings.SITE_URL)
    if parts.scheme != "https" or not parts.hostname:
        return [
            Error(
                f"SITE_URL ({settings.SITE_URL}) is not an https address, but kshare is served "
                "over https: links in mail would be redirected or refused.",
                hint=f"Set SITE_URL to the https address people use, e.g. {EXAMPLE}.",
                id="kshare.E011",
            )
        ]
    if not validate_host(parts.hostname, settings.ALLOWED_HOSTS):
        hosts = ", ".join(settings.ALLOWED_HOSTS) or "nothing"
        return [
            Error(
                f"SITE_URL's host {parts.hostname} is not in ALLOWED_HOSTS ({hosts}), so every "
                "link kshare sends would be answered with 400 Bad Request.",
                hint="Set SITE_URL to the address people use, or add its host to ALLOWED_HOSTS.",
                id="kshare.E012",
            )
        ]
    return []


def startup_refusal() -> str | None:
    """The sentence `kshare serve` and `kshare worker` stop with, or None to start."""
    problems = site_url_problems()
    if not problems:
        return None
    return f"{problems[0].msg} {problems[0].hint} kshare does not start in production without it."


@register(Tags.security, deploy=True)
def check_site_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return site_url_problems()


@register(Tags.security, deploy=True)
def check_proxy_addresses(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not settings.KSHARE_PROXY_NETWORKS:
        return [
            Error(
                "USE_X_FORWARDED_PROTO is on but KSHARE_PROXY_ADDRESSES is empty, so no "
                "request is believed to come over https and every page redirects to itself.",
                hint="Set KSHARE_PROXY_ADDRESSES to your proxy's address, e.g. 127.0.0.1.",
                id="kshare.E013",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_secret_key_source(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not in_production() or not settings.KSHARE_SECRET_KEY_GENERATED:
        return []
    return [
        Warning(
            "The secret key was generated into var/secret_key on this machine; a second machine "
            "(or a restore without var/) would sign everyone out and break the links sent.",
            hint="Keep it in a file of its own and point SECRET_KEY_FILE at it (docs/deploy.md).",
            id="kshare.W014",
        )
    ]
