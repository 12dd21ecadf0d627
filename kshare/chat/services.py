"""Chat channels: connecting, announcing sessions, posting through the retry queue.

Managing: ``channel_connect`` / ``channel_remove`` / ``channel_test``. Admins connect a channel
for one programme or for the whole installation; organisers only for a programme they organise
(``programme_can_edit``), as webhooks.

What is announced: a session scheduled (and moved, and cancelled once announced), the reminder
the day before, "starting in 15 minutes", "recording and notes available" and a weekly digest —
only sessions open to everyone in the company (``visibility.rules.open_to_teams`` is None): a
channel is read by people kshare does not know, so a team-only or invite-only session is never
posted. Each announcement is one ``ChatPost`` per active channel of the session's programme and
of the installation, in the channel's platform format (``formats.py``), with times in the
channel's timezone; ``key`` makes it once per channel.

Posting: through the claim/retry queue (``POSTS``), as webhook deliveries. A 2xx answer is
sent; a 429 comes back when its ``Retry-After`` says (seconds or an HTTP date, at most an hour;
without one, the queue's back-off); 404 and 410 mean the webhook was removed on the platform's
side: the post fails, the channel is disabled (``disabled_reason``) and its organisers get a
mail, once. Anything else is retried with back-off up to ``KSHARE_CHAT_MAX_ATTEMPTS``.

Addresses: https only; Slack, Teams and Google Chat webhooks only on those platforms' hosts
(``PLATFORM_HOSTS``); a self-hosted Mattermost on any public host. Every connection goes
through the webhooks' transport (the name resolved once, every address checked: no internal or
metadata address, ``transport.py``). ``KSHARE_CHAT_ALLOW_HOSTS`` lets an administrator allow
internal hosts (then also over http), as ``KSHARE_WEBHOOK_ALLOW_HOSTS`` does for webhooks.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from kshare.chat import formats
from kshare.chat.models import ChatChannel, ChatPost, Platform, PostKind
from kshare.chat.sealing import SealBroken, url_open, url_seal
from kshare.core.language import error_text, keeps_language, speak_to, when
from kshare.core.queue import TICK_BATCH, ClaimQueue, TickResult
from kshare.library.models import Material
from kshare.outbox.services import mail_queue, one_line
from kshare.people.models import Person
from kshare.programmes.models import Programme
from kshare.programmes.selectors import programme_can_edit
from kshare.sessions.models import Session, State
from kshare.topics.models import TopicRequest
from kshare.visibility.rules import open_to_teams, session_facts
from kshare.webhooks import transport
from kshare.webhooks.addresses import (
    AddressRefused,
    AllowList,
    addresses_check,
    host_literal,
    host_refusal,
)

logger = logging.getLogger(__name__)

Status = ChatPost.Status
DEFAULT_MAX_ATTEMPTS = 8
USER_AGENT = "kshare-chat/1"
URL_MAX_LENGTH = 2000
# A 429's Retry-After is followed up to this long; a longer one waits this long.
RETRY_AFTER_MAX = timedelta(hours=1)
# The hosts each hosted platform's incoming webhooks live on (a leading dot: any subdomain).
PLATFORM_HOSTS: dict[str, tuple[str, ...]] = {
    Platform.SLACK: ("hooks.slack.com",),
    # Teams workflows ("Post to a channel when a webhook request is received"): Power Automate
    # on Azure Logic Apps hosts, or the newer Power Platform environment hosts.
    Platform.TEAMS: (
        ".logic.azure.com",
        ".powerplatform.com",
        "api.powerautomate.com",
        "flow.microsoft.com",
    ),
    Platform.GOOGLE_CHAT: ("chat.googleapis.com",),
    Platform.MATTERMOST: (),  # self-hosted: any public host
}


def _max_attempts() -> int:
    return int(getattr(settings, "KSHARE_CHAT_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


# The claim/retry queue of posts; ``chat.tasks`` binds ``chat_post_deliver_task``.
POSTS = ClaimQueue(ChatPost, max_attempts=_max_attempts, what="chat post")


def chat_allow_list() -> AllowList:
    """``KSHARE_CHAT_ALLOW_HOSTS`` (checked at start-up, read on every call)."""
    return AllowList.parse(list(getattr(settings, "KSHARE_CHAT_ALLOW_HOSTS", [])))


def _timeout() -> float:
    return float(getattr(settings, "KSHARE_WEBHOOK_TIMEOUT", 10))


# --- managing ----------------------------------------------------------------------------------


def channel_can_manage(*, person: Person, channel: ChatChannel) -> bool:
    if not person.is_authenticated or not person.is_organiser:
        return False
    if person.is_admin:
        return True
    return channel.programme is not None and programme_can_edit(
        person=person, programme=channel.programme
    )


def _allow_listed(host: str, port: int, allow: AllowList) -> bool:
    """Whether an administrator allowed ``host`` by name, or as an address or network."""
    if (host, None) in allow.hosts or (host, port) in allow.hosts:
        return True
    literal = host_literal(host)
    return literal is not None and allow.allows(host=host, address=literal, port=port)


def _on_platform_host(platform: str, host: str) -> bool:
    hosts = PLATFORM_HOSTS[platform]
    return not hosts or any(host == h or (h.startswith(".") and host.endswith(h)) for h in hosts)


def channel_url_check(*, platform: str, url: str) -> str:
    """``url`` if kshare may post to it for ``platform``; ``ValidationError`` on ``url``."""
    url = url.strip()
    bad = ValidationError(
        {"url": _("Paste the webhook address the platform gave you (https://…).")}
    )
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise bad from None
    host = (parts.hostname or "").rstrip(".")
    if not host or parts.scheme not in ("http", "https"):
        raise bad
    if len(url) > URL_MAX_LENGTH:
        raise ValidationError({"url": _("At most %(max)s characters.") % {"max": URL_MAX_LENGTH}})
    if parts.username or parts.password:
        raise ValidationError({"url": _("Put no user name or password in the address.")})
    allow = chat_allow_list()
    allowed = _allow_listed(host, port, allow)
    if parts.scheme != "https" and not allowed:
        raise ValidationError({"url": _("Use the https:// address: the webhook is a secret.")})
    if not allowed and not _on_platform_host(platform, host):
        names = [h.lstrip(".") for h in PLATFORM_HOSTS[platform]]
        hosts = names[0]
        for other in names[1:]:
            hosts = _("%(first)s or %(second)s") % {"first": hosts, "second": other}
        label = Platform(platform).label
        raise ValidationError(
            {
                "url": _("A %(platform)s webhook address is on %(hosts)s; this one is on %(host)s.")
                % {"platform": label, "hosts": hosts, "host": host}
            }
        )
    refusal = host_refusal(host, port=port, allow=allow)
    problem = error_text(refusal) if refusal is not None else None
    if problem is None:
        try:
            addresses_check(
                host=host, port=port, addresses=transport.resolve(host, port), allow=allow
            )
        except AddressRefused as exc:
            problem = error_text(exc)
        except OSError:  # unknown to DNS today: every post resolves and checks it again
            problem = None
    if problem is not None:
        raise ValidationError(
            {
                "url": _(
                    "kshare does not post to internal addresses: %(problem)s Ask an "
                    "administrator to allow the host (KSHARE_CHAT_ALLOW_HOSTS)."
                )
                % {"problem": problem}
            }
        )
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise bad from None
    return url


def url_hint(url: str) -> str:
    """What pages show of a webhook address: its host and its last four characters."""
    parts = urlsplit(url)
    return f"{parts.hostname}/…{url[-4:]}"


def timezone_check(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            {"timezone": _("Unknown timezone %(name)s.") % {"name": repr(name)}}
        ) from None
    return name


@transaction.atomic
def channel_connect(
    *,
    by: Person,
    platform: str,
    name: str,
    url: str,
    programme: Programme | None = None,
    timezone_name: str = "UTC",
) -> ChatChannel:
    """Connect a channel; its webhook address is stored sealed (``sealing.py``)."""
    if not by.is_authenticated or not by.is_organiser:
        raise PermissionDenied(_("Only organisers and admins connect chat channels."))
    if platform not in Platform.values:
        raise ValidationError({"platform": _("Choose a platform.")})
    if programme is None and not by.is_admin:
        raise ValidationError({"programme": _("Choose a programme you organise.")})
    if programme is not None and not programme_can_edit(person=by, programme=programme):
        raise ValidationError({"programme": _("You can only connect programmes you organise.")})
    url = channel_url_check(platform=platform, url=url)
    return ChatChannel.objects.create(
        platform=platform,
        name=" ".join(name.split())[:100] or str(Platform(platform).label),
        url_sealed=url_seal(url),
        url_hint=url_hint(url)[:300],
        programme=programme,
        timezone=timezone_check(timezone_name),
        created_by=by,
    )


@transaction.atomic
def channel_remove(*, channel: ChatChannel, by: Person) -> None:
    """Delete the channel and its posts (queued ones are never sent)."""
    if not channel_can_manage(person=by, channel=channel):
        raise PermissionDenied(_("You cannot manage this channel."))
    channel.delete()


def channel_test(*, channel: ChatChannel, by: Person) -> ChatPost:
    """Queue a test message to ``channel`` (also to a disabled one: it says whether the webhook
    works again, and a 2xx enables the channel again)."""
    if not channel_can_manage(person=by, channel=channel):
        raise PermissionDenied(_("You cannot manage this channel."))
    message = formats.Message(
        heading=_("kshare is connected"),
        text=_("Sessions of %(scope)s will be announced here.") % {"scope": _scope(channel)},
        buttons=[(_("Open kshare"), settings.SITE_URL + "/")],
    )
    with transaction.atomic():
        post = ChatPost.objects.create(
            channel=channel,
            kind=PostKind.TEST,
            key=f"test:{uuid.uuid4().hex}",
            payload=formats.render(channel.platform, message),
        )
        POSTS.enqueue_on_commit([post.pk])
    return post


def _scope(channel: ChatChannel) -> str:
    return (
        channel.programme.name if channel.programme else pgettext("chat scope", "every programme")
    )


# --- what a post says --------------------------------------------------------------------------


def _tz(channel: ChatChannel) -> ZoneInfo:
    try:
        return ZoneInfo(channel.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when_text(session: Session, tz: ZoneInfo) -> str:
    """The session's time in ``tz``: day, date, start and end, and the zone's name."""
    assert session.start is not None
    start = session.start.astimezone(tz)
    # Day and month names, and the order, in the active language.
    text = when(start, tz)
    if session.end is not None:
        end = session.end.astimezone(tz)
        text += date_format(end, "\u2013H:i" if end.date() == start.date() else " \u2013 d F H:i")
    return f"{text} ({tz.key})"


HEADINGS = {
    PostKind.SCHEDULED: gettext_lazy("New session"),
    PostKind.RESCHEDULED: gettext_lazy("New time"),
    PostKind.CANCELLED: gettext_lazy("Cancelled"),
    PostKind.REMINDER: gettext_lazy("Tomorrow"),
    PostKind.STARTING: gettext_lazy("Starting in 15 minutes"),
    PostKind.MATERIALS: gettext_lazy("Recording and notes available"),
}


def _hosts(session: Session) -> str:
    links = session.host_links.select_related("person").order_by("-role", "id")
    return ", ".join(link.person.display_name for link in links)


def session_message(session: Session, *, kind: str, channel: ChatChannel) -> formats.Message:
    """What a post of ``kind`` about ``session`` says in ``channel`` (its timezone)."""
    page = settings.SITE_URL + session.get_absolute_url()
    facts = [(_("Host"), _hosts(session))]
    if session.start is not None:
        facts.append((_("When"), when_text(session, _tz(channel))))
    if session.location:
        facts.append((_("Where"), session.location))
    facts.append((_("Programme"), session.programme.name))
    buttons: list[tuple[str, str]] = []
    text = ""
    if kind in (PostKind.SCHEDULED, PostKind.RESCHEDULED, PostKind.REMINDER):
        buttons = [(_("RSVP"), page)]
        text = formats.cut(" ".join(session.abstract.split()), 500)
    elif kind == PostKind.STARTING:
        if session.call_url:
            join = settings.SITE_URL + reverse("attendance:join", args=[session.pk])
            buttons = [(_("Join and check in"), join), (_("Open the session"), page)]
        else:
            buttons = [(_("Check in"), page)]
    elif kind == PostKind.MATERIALS:
        buttons = [(_("Watch and read"), page)]
    elif kind == PostKind.CANCELLED:
        text = _("This session will not take place.")
    return formats.Message(
        heading=str(HEADINGS[PostKind(kind)]),
        title=session.title,
        url=page,
        facts=facts,
        text=text,
        buttons=buttons,
    )


def session_announceable(session: Session) -> bool:
    """Whether ``session`` may be posted to a channel: open to everyone in the company (the one
    visibility rule says so), with a time."""
    if session.start is None:
        return False
    return open_to_teams(session_facts([session])[session.pk]) is None


def channels_for(session: Session) -> list[ChatChannel]:
    """The active channels ``session`` is announced in: its programme's and the installation's."""
    return list(
        ChatChannel.objects.filter(active=True)
        .filter(Q(programme__isnull=True) | Q(programme_id=session.programme_id))
        .order_by("id")
    )


def _post_make(
    *, channel: ChatChannel, kind: str, key: str, payload: dict[str, Any], session=None
) -> ChatPost | None:
    """The post of ``key`` in ``channel``, made now; None when it was made before."""
    post, created = ChatPost.objects.get_or_create(
        channel=channel,
        key=key,
        defaults={"kind": kind, "session": session, "payload": payload},
    )
    return post if created else None


def chat_announce_session(
    *, session_id: int, kind: str, channels: Iterable[int] | None = None
) -> int:
    """Post ``kind`` about the session to each channel it belongs in (once per channel and
    key); returns how many posts were made. Called after commit (receivers) or by the tick."""
    session = Session.objects.select_related("programme").filter(pk=session_id).first()
    if session is None or not session_announceable(session):
        return 0
    if kind == PostKind.CANCELLED:
        if session.state != State.CANCELLED:
            return 0
        key = f"cancelled:{session.pk}"
        # Only where it was announced: nobody there needs to hear of a session they never saw.
        announced = set(
            ChatPost.objects.filter(
                session=session, kind__in=[PostKind.SCHEDULED, PostKind.RESCHEDULED]
            ).values_list("channel_id", flat=True)
        )
        targets = [c for c in channels_for(session) if c.pk in announced]
    else:
        if session.state != State.SCHEDULED and kind != PostKind.MATERIALS:
            return 0
        stamp = int(session.start.timestamp()) if session.start else 0
        key = {
            PostKind.SCHEDULED: f"scheduled:{session.pk}:{session.sequence}",
            PostKind.RESCHEDULED: f"scheduled:{session.pk}:{session.sequence}",
            PostKind.REMINDER: f"reminder:{session.pk}:{stamp}",
            PostKind.STARTING: f"starting:{session.pk}:{stamp}",
            PostKind.MATERIALS: f"materials:{session.pk}",
        }[PostKind(kind)]
        targets = channels_for(session)
    if channels is not None:
        wanted = set(channels)
        targets = [c for c in targets if c.pk in wanted]
    made: list[int] = []
    with transaction.atomic():
        for channel in targets:
            message = session_message(session, kind=kind, channel=channel)
            post = _post_make(
                channel=channel,
                kind=kind,
                key=key,
                payload=formats.render(channel.platform, message),
                session=session,
            )
            if post is not None:
                made.append(post.pk)
        if made:
            POSTS.enqueue_on_commit(made)
    return len(made)


# --- posting -----------------------------------------------------------------------------------


def retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """The wait a ``Retry-After`` header asks for (delay-seconds or an HTTP date), at most
    ``RETRY_AFTER_MAX``; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            wait = parsedate_to_datetime(value) - now
        except (TypeError, ValueError, IndexError):
            return None
    return max(timedelta(0), min(wait, RETRY_AFTER_MAX))


@keeps_language
def _channel_disable(channel: ChatChannel, *, reason: str) -> None:
    """Stop posting to ``channel`` and tell its organisers, once."""
    if not ChatChannel.objects.filter(pk=channel.pk, active=True).update(
        active=False, disabled_reason=reason[:300]
    ):
        return
    people = {p.pk: p for p in _organisers(channel)}
    context = {
        "channel": channel,
        "reason": reason,
        "scope": _scope(channel),
        "link": settings.SITE_URL + reverse("chat:channels"),
        "site_name": settings.KSHARE_ORGANISATION_NAME,
    }
    for person in people.values():
        speak_to(person)
        message = EmailMessage(
            subject=one_line(_("kshare stopped posting to %(channel)s") % {"channel": channel}),
            body=render_to_string(
                "chat/email/disabled.txt",
                context | {"person": person, "scope": _scope(channel)},
            ),
            to=[person.email],
        )
        try:
            mail_queue(message, kind="chat_channel_disabled")
        except Exception:  # the channel is disabled anyway; the page says why
            logger.exception("Could not queue the mail about chat channel %s", channel.pk)


def _organisers(channel: ChatChannel) -> list[Person]:
    people = []
    if channel.created_by is not None and channel.created_by.is_active:
        people.append(channel.created_by)
    if channel.programme is not None:
        people += list(channel.programme.organisers.filter(is_active=True).order_by("id"))
    return people


def _body(post: ChatPost) -> bytes:
    return json.dumps(post.payload, ensure_ascii=False, separators=(",", ":")).encode()


def _deliver(post_id: int, *, now: datetime) -> tuple[str, None]:
    """Claim and send one due post: "" when not claimed, else its new status."""
    claimed_at = POSTS.claim(post_id, now=now)
    if claimed_at is None:
        return "", None
    post = ChatPost.objects.select_related("channel", "channel__programme").get(pk=post_id)
    channel = post.channel
    mine = POSTS.mine(post_id, claimed_at)
    attempts = post.attempts + 1
    if not channel.active and post.kind != PostKind.TEST:
        mine.update(
            status=Status.FAILED,
            attempts=attempts,
            last_error=f"The channel is disabled: {channel.disabled_reason}"[:2000],
            claimed_at=None,
        )
        return Status.FAILED, None
    try:
        url = url_open(channel.url_sealed)
    except SealBroken:
        reason = _(
            "kshare can no longer read its webhook address (SECRET_KEY changed): connect it again."
        )
        mine.update(status=Status.FAILED, attempts=attempts, last_error=reason, claimed_at=None)
        _channel_disable(channel, reason=reason)
        return Status.FAILED, None
    status: int | None = None
    headers: dict[str, str] = {}
    try:
        status, headers = transport.post_answer(
            url,
            body=_body(post),
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
            timeout=_timeout(),
            allow=chat_allow_list(),
        )
        error = "" if 200 <= status < 300 else f"HTTP {status}"
    except transport.DeliveryFailed as exc:
        error = exc.failure
        logger.info("Chat post %s to channel %s: %s", post_id, channel.pk, exc.detail)
    except Exception:  # a bug; the row says only that it failed
        logger.exception("Chat post %s failed unexpectedly", post_id)
        error = transport.CONNECTION_FAILED
    if not error:
        mine.update(
            status=Status.SENT,
            attempts=attempts,
            response_status=status,
            delivered_at=timezone.now(),
            last_error="",
            claimed_at=None,
        )
        if post.kind == PostKind.TEST and not channel.active:
            ChatChannel.objects.filter(pk=channel.pk).update(active=True, disabled_reason="")
        return Status.SENT, None
    if status in (404, 410):
        reason = _("The platform answered HTTP %(status)s: the webhook was removed or revoked.") % {
            "status": status
        }
        mine.update(
            status=Status.FAILED,
            attempts=attempts,
            response_status=status,
            last_error=reason,
            claimed_at=None,
        )
        if channel.active:
            _channel_disable(channel, reason=reason)
        return Status.FAILED, None
    if POSTS.is_last(attempts):
        logger.warning("Chat post %s failed for good: %s", post_id, error)
        mine.update(
            status=Status.FAILED,
            attempts=attempts,
            response_status=status,
            last_error=error,
            claimed_at=None,
        )
        return Status.FAILED, None
    wait = retry_after(headers.get("retry-after"), now=timezone.now()) if status == 429 else None
    if wait is None:
        POSTS.retry_later(
            mine, pk=post_id, attempts=attempts, response_status=status, last_error=error
        )
        return Status.QUEUED, None
    when = timezone.now() + wait
    if mine.update(
        status=Status.QUEUED,
        attempts=attempts,
        next_attempt_at=when,
        claimed_at=None,
        response_status=status,
        last_error=f"{error}: rate limited, Retry-After {headers.get('retry-after')}"[:2000],
    ):
        POSTS.defer(post_id, when)
    return Status.QUEUED, None


def chat_post_deliver(*, post_id: int, now: datetime | None = None) -> bool:
    """Send one post if it is queued and due; True when the platform took it now."""
    status, _ = _deliver(post_id, now=now or timezone.now())
    return status == Status.SENT


def chat_recover_lost(*, worker_ids: Iterable[str], now: datetime | None = None) -> int:
    """Put posts that workers whose lease expired were sending back in the queue."""
    return POSTS.recover_lost(worker_ids=worker_ids, now=now)


def chat_posts_tick(*, now: datetime | None = None, batch: int = TICK_BATCH) -> TickResult:
    """Stale claims back, then up to ``batch`` due posts sent."""
    return POSTS.tick(lambda post_id, now: _deliver(post_id, now=now), now=now, batch=batch)


# --- the periodic announcements ----------------------------------------------------------------

# "Tomorrow": a session starting between 20 and 24 hours from now (the tick runs every minute;
# four hours of slack let a stopped clock catch up without a reminder an hour before the start).
REMINDER_BEFORE = timedelta(hours=24)
REMINDER_LATEST = timedelta(hours=20)
STARTING_BEFORE = timedelta(minutes=15)
# Materials added this recently are announced (once per session and channel).
MATERIALS_RECENT = timedelta(days=7)
MATERIAL_KINDS = ("recording", "notes")
# The weekly digest goes out on Monday from 08:00 in each channel's timezone.
DIGEST_WEEKDAY = 0
DIGEST_HOUR = 8
DIGEST_SESSIONS = 20
DIGEST_TOPICS = 5


def _sessions_starting(after: datetime, until: datetime) -> list[int]:
    return list(
        Session.objects.filter(state=State.SCHEDULED, start__gt=after, start__lte=until)
        .order_by("start", "id")
        .values_list("pk", flat=True)
    )


def chat_announce_due(*, now: datetime | None = None) -> dict[str, int]:
    """Post what is due now: "Tomorrow" reminders, "Starting in 15 minutes" notices,
    "Recording and notes available" and the weekly digests. Each once per channel (the posts'
    unique keys), so the tick may run late, twice or by hand. Returns how many of each."""
    now = now or timezone.now()
    counts = {"reminders": 0, "starting": 0, "materials": 0, "digests": 0}
    for pk in _sessions_starting(now + REMINDER_LATEST, now + REMINDER_BEFORE):
        counts["reminders"] += chat_announce_session(session_id=pk, kind=PostKind.REMINDER)
    for pk in _sessions_starting(now, now + STARTING_BEFORE):
        counts["starting"] += chat_announce_session(session_id=pk, kind=PostKind.STARTING)
    with_materials = (
        Material.objects.filter(kind__in=MATERIAL_KINDS, created_at__gte=now - MATERIALS_RECENT)
        .exclude(session__state=State.CANCELLED)
        .values_list("session_id", flat=True)
        .distinct()
    )
    for pk in sorted(set(with_materials)):
        counts["materials"] += chat_announce_session(session_id=pk, kind=PostKind.MATERIALS)
    counts["digests"] = chat_digests_post(now=now)
    return counts


def _digest_due(channel: ChatChannel, now: datetime) -> str | None:
    """The digest key due in ``channel`` now ("digest:2026-W50"), or None before Monday 08:00."""
    local = now.astimezone(_tz(channel))
    if local.weekday() != DIGEST_WEEKDAY or local.hour < DIGEST_HOUR:
        return None
    year, week, _ = local.isocalendar()
    return f"digest:{year}-W{week:02d}"


def digest_message(channel: ChatChannel, *, now: datetime) -> formats.Message:
    """The week ahead in ``channel``: its sessions open to everyone, and the most wanted topics."""
    sessions = Session.objects.filter(
        state=State.SCHEDULED, start__gt=now, start__lte=now + timedelta(days=7)
    ).select_related("programme")
    if channel.programme_id is not None:
        sessions = sessions.filter(programme_id=channel.programme_id)
    tz = _tz(channel)
    listed = [s for s in sessions.order_by("start", "id") if session_announceable(s)]
    items = [
        formats.Item(
            title=s.title,
            url=settings.SITE_URL + s.get_absolute_url(),
            detail=when_text(s, tz),
        )
        for s in listed[:DIGEST_SESSIONS]
    ]
    wanted = (
        TopicRequest.objects.filter(status=TopicRequest.Status.OPEN)
        .annotate(n_votes=Count("votes"))
        .filter(n_votes__gt=0)
        .order_by("-n_votes", "-created_at", "-id")[:DIGEST_TOPICS]
    )
    topics = [
        formats.Item(
            title=t.title,
            url=settings.SITE_URL + reverse("topics:detail", args=[t.pk]),
            detail=ngettext("%(votes)s +1", "%(votes)s +1s", t.n_votes) % {"votes": t.n_votes},
        )
        for t in wanted
    ]
    return formats.Message(
        heading=_("This week in knowledge sharing"),
        text="" if items else _("No session is scheduled in the next seven days."),
        items=items,
        items_heading=_("Coming up"),
        more_items=topics,
        more_heading=_("Most wanted topics"),
        more_text=_("… and more on kshare."),
        buttons=[(_("Propose a session"), settings.SITE_URL + reverse("sessions:propose"))],
    )


def chat_digests_post(*, now: datetime | None = None) -> int:
    """Post this week's digest to each active channel where it is due and not yet posted."""
    now = now or timezone.now()
    made: list[int] = []
    with transaction.atomic():
        for channel in ChatChannel.objects.filter(active=True).select_related("programme"):
            key = _digest_due(channel, now)
            if key is None or ChatPost.objects.filter(channel=channel, key=key).exists():
                continue
            message = digest_message(channel, now=now)
            post = _post_make(
                channel=channel,
                kind=PostKind.DIGEST,
                key=key,
                payload=formats.render(channel.platform, message),
            )
            if post is not None:
                made.append(post.pk)
        if made:
            POSTS.enqueue_on_commit(made)
    return len(made)


@transaction.atomic
def chat_posts_retry(*, post_ids: list[int], now: datetime | None = None) -> int:
    """Queue queued or failed posts for now ("Retry now" in the admin); returns how many."""
    count, ids = POSTS.retry(post_ids, now=now)
    POSTS.enqueue_on_commit(ids)
    return count
