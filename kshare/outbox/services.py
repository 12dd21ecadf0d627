"""The outbox: store every outgoing message first, then send it from a task.

``mail_queue`` is the one way kshare sends mail. It stores the message and enqueues
``outbox_send``; with the database task backend the task row is written in the same transaction,
so a message and its task appear together or not at all. The first attempt is immediate.

A failed attempt is never the end of a message:

- it goes back to *queued* with ``attempts`` + 1, the error in ``last_error`` and
  ``next_attempt_at`` pushed back by ``backoff()`` (1 min, 5 min, 15 min, 1 h, 4 h, then 12 h);
  ``outbox_tick`` (the clock's periodic task) sends what is due, and a task backend that can
  defer tasks (the database one) also gets a task for the exact retry time;
- after ``KSHARE_MAIL_MAX_ATTEMPTS`` attempts it is *failed*: kept, listed on the admin page,
  sent again only by "Retry now" (``outbox_retry``);
- a permanent refusal (the server refuses every recipient with a 5xx code) is *failed* at once:
  retrying the same addresses cannot succeed. Temporary (4xx) refusals are retried.

Every state change is a conditional UPDATE, so two workers never send one message twice; a
message whose worker died while sending is put back, counted as an attempt: at once when that
worker's lease expires (``kshare.core.leases`` announces it, ``outbox_recover_lost``), else by the
tick once it has been *sending* for more than ``STALE_AFTER``.

Delivery is at least once, and a duplicate is recognisable: each row gets its Message-ID when it
is stored (``<…@SITE_URL's host>``), and every attempt sends that same one, so a mail that
reached the server just before its worker died arrives twice with one Message-ID, which mail
clients and servers treat as one message. The row is marked sent as soon as the server answers
250 to the message data, before the connection is closed (QUIT): the window in which a crash
makes a duplicate is that one round trip and the row's UPDATE, as small as SMTP allows.
"""

from __future__ import annotations

import base64
import email.headerregistry
import email.message
import email.policy
import logging
import smtplib
from collections.abc import Iterable
from datetime import datetime
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailAlternative
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

# STALE_AFTER and backoff are named in this module's rules; TickResult is outbox_tick's answer.
from kshare.core.queue import STALE_AFTER as STALE_AFTER
from kshare.core.queue import TICK_BATCH, ClaimQueue, TickResult
from kshare.core.queue import backoff as backoff
from kshare.outbox.categories import CATEGORIES, category_for
from kshare.outbox.models import OutboxMessage
from kshare.outbox.preferences import mail_recipient, settings_link, unsubscribe_link

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status

ERROR_MAX_LENGTH = 2000
SUBJECT_MAX_LENGTH = 998
# Kinds whose text holds a one-time secret link (sign-up, password reset): not shown on the
# outbox pages, and removed from the row once the mail is sent.
ONE_TIME_LINK_KINDS = frozenset({"account_invite", "password_reset"})
LINK_REMOVED_TEXT = "(Removed after sending: this mail held a one-time link.)"


def _max_attempts() -> int:
    return int(settings.KSHARE_MAIL_MAX_ATTEMPTS)


# The claim/retry queue of the outbox; ``outbox.tasks`` binds ``outbox_send`` and the tick.
OUTBOX = ClaimQueue(OutboxMessage, max_attempts=_max_attempts, what="outbox message")


# --- storing ------------------------------------------------------------------------------


def _content_type(part: email.message.Message) -> str:
    """The part's content type with its parameters (``method=REQUEST``…), without charset."""
    header = email.message.Message()
    header["Content-Type"] = part.get_content_type()
    for name, value in (part.get_params() or [])[1:]:
        if name.lower() != "charset":
            header.set_param(name, value)
    return str(header["Content-Type"])


def _attachment_parts(message: EmailMessage) -> list[dict[str, str]]:
    parts = []
    for attachment in message.attachments:
        if isinstance(attachment, email.message.Message):
            if attachment.is_multipart():
                raise ValueError("The outbox stores single-part attachments only.")
            payload = attachment.get_payload(decode=True)
            raw = payload if isinstance(payload, bytes) else b""
            filename = attachment.get_filename() or ""
            mimetype = _content_type(attachment)
        else:
            filename, content, mimetype = attachment
            raw = content.encode() if isinstance(content, str) else bytes(content)
        parts.append(
            {
                "filename": filename or "",
                "content_b64": base64.b64encode(raw).decode("ascii"),
                "mimetype": mimetype or "application/octet-stream",
            }
        )
    return parts


# Alternatives besides the HTML one that the outbox keeps (after it, in the order given).
OTHER_ALTERNATIVES = frozenset({"text/calendar"})


def _alternatives(message: EmailMessage) -> tuple[str, list[dict[str, str]]]:
    """The HTML alternative and the others (an invitation's ``text/calendar; method=…``, the
    third part of ``multipart/alternative`` as Outlook and Google send it), content types
    with their parameters."""
    html, others = "", list[dict[str, str]]()
    for content, mimetype in getattr(message, "alternatives", []) or []:
        kind = mimetype.split(";")[0].strip().lower()
        text = content.decode() if isinstance(content, bytes) else str(content)
        if kind == "text/html" and not html and not others:
            html = text
        elif kind in OTHER_ALTERNATIVES:
            header = email.message.Message()
            header["Content-Type"] = mimetype
            others.append({"mimetype": _content_type(header), "content": text})
        else:
            raise ValueError(
                "The outbox stores one text/html alternative, then text/calendar ones only."
            )
    return html, others


def message_id_domain() -> str:
    """The right-hand side of our Message-IDs: SITE_URL's host (production requires SITE_URL),
    this machine's name only where SITE_URL has no host."""
    return urlsplit(settings.SITE_URL).hostname or str(DNS_NAME)


def message_id_new() -> str:
    """A new, globally unique Message-ID: ``<time.pid.random@SITE_URL's host>`` (short enough
    not to be folded onto a second header line)."""
    return make_msgid(domain=message_id_domain())


def _headers(message: EmailMessage) -> dict[str, str]:
    headers = {str(k): str(v) for k, v in message.extra_headers.items()}
    # One Message-ID for every attempt: a mail that did reach the server before its worker
    # died, and is sent again, is recognised as the same mail by the recipient's client.
    if not any(key.lower() == "message-id" for key in headers):
        headers["Message-ID"] = message_id_new()
    return headers


def _footer_add(text: str, footer: str, *, html: bool) -> str:
    """``footer`` at the end of a mail's text, or inside the HTML layout's ``<footer>``."""
    if not html:
        return f"{text.rstrip()}\n\n{footer.strip()}\n"
    for closing in ("</footer>", "</body>"):
        at = text.rfind(closing)
        if at != -1:
            return f"{text[:at]}{footer.strip()}\n{text[at:]}"
    return f"{text}\n{footer.strip()}\n"


def _notification_dress(message: EmailMessage, *, category: str, person_id: int) -> None:
    """The one-click unsubscribe headers (RFC 2369, RFC 8058) and a footer with both links."""
    link = unsubscribe_link(person_id=person_id, category=category)
    message.extra_headers["List-Unsubscribe"] = f"<{link}>"
    message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    context = {
        "category": CATEGORIES[category],
        "unsubscribe_link": link,
        "settings_link": settings_link(),
    }
    message.body = _footer_add(
        str(message.body),
        render_to_string("outbox/email/notification_footer.txt", context),
        html=False,
    )
    alternatives = getattr(message, "alternatives", None) or []
    for index, (content, mimetype) in enumerate(alternatives):
        if mimetype.split(";")[0].strip().lower() == "text/html":
            html = render_to_string("outbox/email/notification_footer.html", context)
            alternatives[index] = type(alternatives[index])(
                _footer_add(str(content), html, html=True), mimetype
            )
            break


@transaction.atomic
def one_line(text: str) -> str:
    """``text`` (a title, a name) fit for a subject: one line, runs of white space as one space.

    Titles and names typed through the API or the admin may hold line breaks, and a header
    with a line break is refused (it could inject headers); every subject built from them
    goes through here so that no mail is lost to one.
    """
    return " ".join(str(text).split())


def mail_queue(message: EmailMessage, *, kind: str) -> OutboxMessage | None:
    """Store ``message`` in the outbox and enqueue its delivery; returns the stored row.

    Refuses (``ValueError``) what it could not store faithfully — Bcc, an HTML body without a
    text one, alternatives other than one HTML part then text/calendar ones, multipart
    attachments, a header with a line break — so that nothing is silently dropped and nothing
    fails on every attempt.

    A notification (a ``kind`` with a category in ``categories.py``) to one person is not
    stored when that person turned its category off (returns None); otherwise it gets the
    ``List-Unsubscribe`` headers and a footer linking the person's notification settings.
    Every mail gets the installation's Reply-To (``KSHARE_MAIL_REPLY_TO``) unless it has one.
    """
    if message.bcc:
        raise ValueError("The outbox does not store Bcc: send one message per recipient.")
    if message.content_subtype != "plain":
        raise ValueError("Give the text body as body and HTML with attach_alternative().")
    if not message.to and not message.cc:
        raise ValueError("A message needs at least one recipient.")
    category = category_for(kind)
    if category is not None and len(message.to) == 1 and not message.cc:
        recipient = mail_recipient(address=message.to[0], category=category)
        if recipient is not None:
            if recipient.opted_out:
                return None
            _notification_dress(message, category=category, person_id=recipient.person_id)
    if not message.reply_to and settings.KSHARE_MAIL_REPLY_TO:
        message.reply_to = list(settings.KSHARE_MAIL_REPLY_TO)
    message.message()  # raises BadHeaderError now rather than on every attempt
    html, alternatives = _alternatives(message)
    subject = str(message.subject)
    if len(subject) > SUBJECT_MAX_LENGTH:
        subject = subject[: SUBJECT_MAX_LENGTH - 1] + "…"
    stored = OutboxMessage.objects.create(
        kind=kind,
        from_email=message.from_email or "",
        to=list(message.to),
        cc=list(message.cc),
        reply_to=list(message.reply_to),
        subject=subject,
        body=str(message.body),
        html=html,
        alternatives=alternatives,
        attachments=_attachment_parts(message),
        headers=_headers(message),
    )
    OUTBOX.enqueue(stored.pk)
    return stored


# --- sending ------------------------------------------------------------------------------


def _attachment_build(part: dict[str, str]) -> tuple[str, bytes, str] | email.message.MIMEPart:
    """A Django attachment triple, or a MIME part where the type has parameters to keep."""
    content = base64.b64decode(part["content_b64"])
    header = email.message.Message()
    header["Content-Type"] = part["mimetype"]
    maintype, subtype = header.get_content_maintype(), header.get_content_subtype()
    params = {k: v for k, v in (header.get_params() or [])[1:] if k.lower() != "charset"}
    if not params:
        # Django decodes text/* as UTF-8 (falling back to application/octet-stream).
        return (part["filename"], content, f"{maintype}/{subtype}")
    mime = email.message.MIMEPart()
    filename = part["filename"] or None
    if maintype == "text":
        try:
            text = content.decode()
        except UnicodeDecodeError:
            pass
        else:
            mime.set_content(
                text,
                subtype=subtype,
                charset="utf-8",
                params=params,
                disposition="attachment",
                filename=filename,
            )
            return mime
    mime.set_content(
        content,
        maintype=maintype,
        subtype=subtype,
        params=params,
        disposition="attachment",
        filename=filename,
    )
    return mime


class _UrlListHeader(email.headerregistry.UnstructuredHeader):
    """A header whose value is a list of ``<URL>`` (``List-Unsubscribe``, RFC 2369): folded only
    between its URLs. The standard folding turns a URL longer than a line into RFC 2047
    encoded words (``=?utf-8?q?=3Chttps=3A//…``), which mail clients do not read as a link, so
    one-click unsubscribe would silently not be offered."""

    name: str

    def fold(self, *, policy: email.policy.Policy) -> str:
        value = str(self)
        if not value.isascii():  # an internationalised host: encoded as any other header
            return email.headerregistry.BaseHeader.fold(self, policy=policy)  # type: ignore[arg-type]
        urls = [part.strip() for part in value.split(",")]
        return f"{self.name}: " + f",{policy.linesep} ".join(urls) + policy.linesep


_HEADERS = email.headerregistry.HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", _UrlListHeader)  # type: ignore[arg-type]


class _Alternatives(EmailMultiAlternatives):
    """Alternatives keep the parameters of their content type: ``text/calendar;
    method=REQUEST`` arrives as exactly that (Django's ``attach_alternative`` takes a bare
    type); ``List-Unsubscribe`` keeps its URLs readable (``_UrlListHeader``)."""

    def message(self, *, policy: email.policy.Policy | None = None) -> email.message.EmailMessage:
        chosen = email.policy.default if policy is None else policy
        if isinstance(chosen, email.policy.EmailPolicy):
            chosen = chosen.clone(header_factory=_HEADERS)
        return super().message(policy=chosen)

    def _add_bodies(self, msg: email.message.EmailMessage) -> email.message.EmailMessage:
        # Django's private hook (EmailMessage.message() builds the bodies with it).
        given = list(self.alternatives)
        self.alternatives = [
            EmailAlternative(content, mimetype.split(";")[0].strip()) for content, mimetype in given
        ]
        try:
            super()._add_bodies(msg)  # type: ignore[misc]
        finally:
            self.alternatives = given
        if given:
            parts = list(msg.iter_parts())[-len(given) :]
            for part, (content, mimetype) in zip(parts, given, strict=True):
                header = email.message.Message()
                header["Content-Type"] = mimetype
                params = {k: v for k, v in (header.get_params() or [])[1:] if k != "charset"}
                if not params:
                    continue
                # As Outlook writes it (text/calendar; method=REQUEST; charset=…), and the
                # bytes as given: base64 keeps iCalendar's CRLF line ends.
                charset = part.get_param("charset")
                data = content.encode() if isinstance(content, str) else content
                part.set_content(
                    data,
                    maintype=header.get_content_maintype(),
                    subtype=header.get_content_subtype(),
                    params={**params, "charset": str(charset or "utf-8")},
                )
        return msg


def message_build(stored: OutboxMessage) -> EmailMultiAlternatives:
    """Rebuild the Django message from its stored parts.

    Alternatives and attachments keep the parameters of their content types: a
    ``text/calendar; method=REQUEST`` invitation arrives as exactly that.
    """
    message = _Alternatives(
        subject=stored.subject,
        body=stored.body,
        from_email=stored.from_email or None,
        to=stored.to,
        cc=stored.cc,
        reply_to=stored.reply_to,
        headers=stored.headers,
    )
    if stored.html:
        message.attach_alternative(stored.html, "text/html")
    for alternative in stored.alternatives:
        message.attach_alternative(alternative["content"], alternative["mimetype"])
    for part in stored.attachments:
        built = _attachment_build(part)
        if isinstance(built, email.message.MIMEPart):
            message.attach(built)
        else:
            message.attach(*built)
    return message


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]


def error_is_permanent(error: BaseException) -> bool:
    """True when retrying cannot help: the server refused every recipient with a 5xx code."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    return False


def error_is_connection(error: BaseException) -> bool:
    """True when the mail server could not be reached (or dropped the connection)."""
    if isinstance(error, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def _deliver(message_id: int, *, now: datetime) -> tuple[str, BaseException | None]:
    """Claim and send one due message: ("", None) when not claimed, else its new status."""
    claimed_at = OUTBOX.claim(message_id, now=now)
    if claimed_at is None:  # sent, failed, not due yet, or another worker has it
        return "", None
    stored = OutboxMessage.objects.get(pk=message_id)
    mine = OUTBOX.mine(message_id, claimed_at)
    attempts = stored.attempts + 1
    mailer = mailers.default
    try:
        # Our own open(): send_messages() then leaves the connection open, and returns as soon
        # as the server has answered 250 to the data — the row is marked sent before QUIT.
        mailer.open()
        mailer.send_messages([message_build(stored)])
    except Exception as error:  # SMTP and network errors alike: kept, retried later
        _close(mailer, message_id)
        if error_is_permanent(error) or OUTBOX.is_last(attempts):
            logger.warning("Outbox message %s failed for good: %s", message_id, error)
            mine.update(
                status=Status.FAILED,
                attempts=attempts,
                last_error=_error_text(error),
                claimed_at=None,
            )
            return Status.FAILED, error
        when = OUTBOX.retry_later(
            mine, pk=message_id, attempts=attempts, last_error=_error_text(error)
        )
        logger.warning(
            "Outbox message %s: attempt %s failed (%s); next at %s",
            message_id,
            attempts,
            error,
            when.isoformat(),
        )
        return Status.QUEUED, error
    # A success keeps last_error: it tells why earlier attempts failed.
    secret = {"body": LINK_REMOVED_TEXT, "html": ""} if stored.kind in ONE_TIME_LINK_KINDS else {}
    mine.update(
        status=Status.SENT,
        attempts=attempts,
        sent_at=timezone.now(),
        claimed_at=None,
        **secret,
    )
    _close(mailer, message_id)
    return Status.SENT, None


def _close(mailer: BaseEmailBackend, message_id: int) -> None:
    """Say QUIT. The mail's fate is decided by then: a server that hangs up is only logged."""
    try:
        mailer.close()
    except Exception as error:
        logger.info("Outbox message %s: closing the SMTP connection failed: %s", message_id, error)


def outbox_deliver(*, message_id: int, now: datetime | None = None) -> bool:
    """Send one stored message if it is queued and due; True when it was sent now.

    The row is claimed with a conditional UPDATE, so two workers never send it twice.
    """
    status, _ = _deliver(message_id, now=now or timezone.now())
    return status == Status.SENT


def outbox_recover_stale(*, now: datetime | None = None) -> int:
    """Put messages stuck in *sending* (their worker died) back in the queue; returns how many.

    The interrupted send counts as an attempt (it may have reached the server, and a message
    that crashes its worker every time must not be tried forever).
    """
    return OUTBOX.recover_stale(now=now)


def outbox_recover_lost(*, worker_ids: Iterable[str], now: datetime | None = None) -> int:
    """Put messages that workers whose lease expired were sending back in the queue, and send
    them now; returns how many. Counted as an attempt, as a stale claim is; the resend carries
    the row's Message-ID."""
    return OUTBOX.recover_lost(worker_ids=worker_ids, now=now)


def outbox_tick(*, now: datetime | None = None, batch: int = TICK_BATCH) -> TickResult:
    """The periodic work: recover stale claims, then send up to ``batch`` due messages.

    Oldest due first. When the mail server cannot be reached, the rest of the batch waits for
    the next tick instead of each waiting for its own connection timeout.
    """
    return OUTBOX.tick(
        lambda message_id, now: _deliver(message_id, now=now),
        now=now,
        batch=batch,
        stop=error_is_connection,
    )


# --- by hand ------------------------------------------------------------------------------


@transaction.atomic
def outbox_retry(*, message_ids: list[int], now: datetime | None = None) -> int:
    """Send queued or failed messages again now ("Retry now"); returns how many were queued.

    Sent messages and those being sent are left alone. The attempts count is kept: a failed
    message that fails again is failed again.
    """
    count, ids = OUTBOX.retry(message_ids, now=now)
    for message_id in ids:
        OUTBOX.enqueue(message_id)
    return count


@transaction.atomic
def outbox_retry_failed(*, now: datetime | None = None) -> int:
    """Queue every failed message for now ("Retry all failed"); returns how many.

    The tick sends them in batches (one tick is enqueued at once), not one task each.
    """
    return OUTBOX.retry_failed(now=now)
