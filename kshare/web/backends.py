"""What the processes of one installation share besides the database: the cache and the media
storage. Described in one line each by ``kshare check``; ``check --deploy`` also makes sure a
configured Redis answers (a cache that does not answer fails every API request)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.core.checks import CheckMessage, Error, Tags, register

from kshare import config


def media_description() -> str:
    storage = settings.STORAGES["default"]
    options = storage.get("OPTIONS", {})
    if not options.get("bucket_name"):
        return f"the disk at {settings.MEDIA_ROOT} (share it between machines, or use a bucket)."
    where = options.get("endpoint_url") or "AWS S3"
    prefix = f"/{options['location']}" if options.get("location") else ""
    how = (
        f"signed URLs valid {options['querystring_expire']} s"
        if settings.KSHARE_MEDIA_DELIVERY == "redirect"
        else "streamed through kshare"
    )
    return f"the bucket {options['bucket_name']}{prefix} at {where}, played by {how}."


def descriptions() -> list[str]:
    """One line per shared backend, for ``kshare check``."""
    return [
        f"Cache: {config.cache_description(settings.CACHES['default'])}",
        f"Media: {media_description()}",
        f"Calendar replies: {calendar_replies_description()}",
    ]


def calendar_replies_description() -> str:
    """Where Accept/Decline from calendar programs goes and whether kshare reads it."""
    address, imap = settings.KSHARE_CALENDAR_REPLY_ADDRESS, settings.KSHARE_IMAP
    if imap is None:
        return (
            f"mailed to {address} and not read (set KSHARE_IMAP_URL, or pipe that address to "
            "`kshare mail-in -`)."
        )
    scheme = "imaps" if imap["ssl"] else "imap"
    tls = "?tls=1" if imap["starttls"] else ""
    mailbox = f"{scheme}://{imap['host']}:{imap['port']}/{imap['folder']}{tls}"
    every = (
        f"every {settings.KSHARE_TICK_SECONDS} s by the worker"
        if settings.KSHARE_TICK_SECONDS
        else "by `kshare mail-in` (the worker's clock is off)"
    )
    return (
        f"mailed to {address}, read from {mailbox} {every}; read mail moves to "
        f"{settings.KSHARE_IMAP_DONE_FOLDER}."
    )


@register(Tags.caches, deploy=True)
def check_shared_cache_answers(app_configs=None, **kwargs) -> list[CheckMessage]:
    """A configured Redis must answer: the API's rate limit and other shared state live there."""
    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        return []
    try:
        cache = caches["default"]
        cache.set("kshare-check", "ok", timeout=10)
        answer = cache.get("kshare-check")
    except Exception as exc:
        return [
            Error(
                f"The cache at CACHE_URL does not answer ({type(exc).__name__}: {exc}).",
                hint="Start Redis or correct CACHE_URL (redis://host:6379/0).",
                id="kshare.E101",
            )
        ]
    if answer != "ok":
        return [
            Error(
                "The cache at CACHE_URL does not keep what is written to it.",
                hint="Check that Redis has memory left and is not read-only.",
                id="kshare.E101",
            )
        ]
    return []
