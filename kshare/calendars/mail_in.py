"""Calendar answers by mail: Accept / Maybe / Decline pressed in Outlook, Google or Apple Calendar.

Every invitation names ``KSHARE_CALENDAR_REPLY_ADDRESS`` as its ORGANIZER, so those programs
mail their iMIP REPLY (RFC 6047) there. ``kshare mail-in`` reads that mailbox over IMAP
(``KSHARE_IMAP_URL``; the worker does it every tick when it is set) or takes one message on
stdin from a mail server's pipe (``kshare mail-in -``), and each reply becomes the RSVP through
the same ``rsvp_set`` the web uses: capacity, waitlist and "only upcoming sessions" included.

A reply is trusted only as far as a signed RSVP link would be: it must name an invitation that
exists (the session by the UID kshare wrote, the person by the ATTENDEE address), come From that
same address, and be no older than the answer it would replace (SEQUENCE, DTSTAMP). Anything
else changes nothing and is logged with its reason. (A From address can be forged where the mail
server does not check SPF/DKIM/DMARC; such a forgery could answer for someone as a stolen RSVP
link could. docs/deploy.md says how to keep that mailbox to checked mail.)

Read mail is moved to ``KSHARE_IMAP_DONE_FOLDER``, so nothing is read twice; a message whose
processing failed on our side (the database was away) stays in the folder for the next run.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import socket
import ssl
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from kshare.calendars.ical import session_pk_from_uid
from kshare.calendars.imip import Reply, replies_read
from kshare.sessions.invitations import rsvp_set
from kshare.sessions.models import Invitation

logger = logging.getLogger(__name__)

ANSWERS: dict[str, str] = {
    "ACCEPTED": Invitation.Response.YES,
    "TENTATIVE": Invitation.Response.MAYBE,
    "DECLINED": Invitation.Response.NO,
}
# Larger messages are not read (a reply is a few KB); they are moved away all the same.
MAX_MESSAGE_BYTES = 25 * 1024 * 1024
# At most this many messages per run; the next run takes the rest.
BATCH = 500
IMAP_TIMEOUT = 30


class MailInError(Exception):
    """The mailbox cannot be read (configuration, connection, login): one sentence."""


@dataclass
class MailInResult:
    messages: int = 0  # messages read
    saved: int = 0  # answers saved as RSVPs
    refused: int = 0  # replies that changed nothing (unknown sender, UID, attendee; a rule)
    ignored: int = 0  # messages without a calendar reply
    failed: int = 0  # messages left in the mailbox because of an error on our side

    def add(self, other: MailInResult) -> None:
        for name in ("messages", "saved", "refused", "ignored", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def summary(self) -> str:
        text = (
            f"{self.messages} message{'s' if self.messages != 1 else ''} read: "
            f"{self.saved} answer{'s' if self.saved != 1 else ''} saved, "
            f"{self.refused} refused, {self.ignored} without a calendar reply"
        )
        return text + (f", {self.failed} left for the next run." if self.failed else ".")


# -- one reply ------------------------------------------------------------------------------------


def imip_reply_apply(*, reply: Reply, sender: str) -> str:
    """Save one calendar reply as its attendee's RSVP; returns "" when saved, else the reason
    it changed nothing (also logged)."""
    reason = _reply_refusal(reply=reply, sender=sender)
    if reason:
        logger.warning("Calendar reply from %r refused: %s", sender or "(no sender)", reason)
        return reason
    logger.info(
        "Calendar reply saved: %s answered %s to %s.", reply.attendee, reply.partstat, reply.uid
    )
    return ""


def _reply_refusal(*, reply: Reply, sender: str) -> str:
    if not sender:
        return "the mail has no single From address."
    if sender != reply.attendee:
        return f"it answers for {reply.attendee}, but comes from {sender}."
    session_id = session_pk_from_uid(reply.uid)
    if session_id is None:
        return f"the UID {reply.uid!r} is not a session of this site."
    answer = ANSWERS.get(reply.partstat)
    if answer is None:
        return f"PARTSTAT {reply.partstat} is not an answer (accepted, tentative, declined)."
    invitation = (
        Invitation.objects.select_related("session", "person")
        .filter(session_id=session_id, person__email__iexact=reply.attendee)
        .first()
    )
    if invitation is None or not invitation.person.is_active:
        return f"{reply.attendee} has no invitation to session {session_id}."
    session = invitation.session
    if reply.sequence is not None and reply.sequence < session.sequence:
        return (
            f"it answers an earlier version of session {session_id} (SEQUENCE {reply.sequence}, "
            f"now {session.sequence})."
        )
    # DTSTAMP has whole seconds: a reply in the same second as the last answer is not older.
    answered = invitation.responded_at
    if reply.stamp and answered and reply.stamp < answered.replace(microsecond=0):
        return (
            f"it was written ({reply.stamp:%Y-%m-%d %H:%M:%S} UTC) before the answer "
            f"{reply.attendee} gave since."
        )
    try:
        rsvp_set(session=session, person=invitation.person, response=answer)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


# -- one message ----------------------------------------------------------------------------------


def mail_in_message(raw: bytes) -> MailInResult:
    """Read one RFC 822 message and save the calendar replies in it. Never raises for bad mail
    (only for an error on our side, such as an unreachable database)."""
    result = MailInResult(messages=1)
    if len(raw) > MAX_MESSAGE_BYTES:
        logger.warning("A mail of %s bytes was not read (larger than a reply).", len(raw))
        result.ignored = 1
        return result
    mail = replies_read(raw)
    if not mail.replies:
        logger.info("Mail %s has no calendar reply: %r", mail.message_id, mail.subject[:100])
        result.ignored = 1
        return result
    for reply in mail.replies:
        if imip_reply_apply(reply=reply, sender=mail.sender):
            result.refused += 1
        else:
            result.saved += 1
    return result


# -- the IMAP mailbox -----------------------------------------------------------------------------


def mail_in_imap(
    *, imap: dict[str, Any] | None = None, done_folder: str | None = None, batch: int = BATCH
) -> MailInResult:
    """Read the mailbox of ``KSHARE_IMAP_URL`` (or ``imap``): every message is read, its replies
    saved, and then moved to the done folder (created when missing). Raises ``MailInError``
    when the mailbox cannot be reached or opened."""
    imap = imap if imap is not None else settings.KSHARE_IMAP
    if imap is None:
        raise MailInError("KSHARE_IMAP_URL is not set, so there is no mailbox to read.")
    done = done_folder or settings.KSHARE_IMAP_DONE_FOLDER
    client = _connect(imap)
    result = MailInResult()
    try:
        typ, _ = client.select(_quoted(imap["folder"]))
        if typ != "OK":
            raise MailInError(
                f"the folder {imap['folder']!r} does not exist on the IMAP server {imap['host']}."
            )
        typ, data = client.create(_quoted(done))  # NO when it exists already: fine
        typ, data = client.uid("SEARCH", "UNDELETED")
        if typ != "OK":
            raise MailInError(f"the IMAP server {imap['host']} did not list the folder's mail.")
        uids = [uid.decode() for uid in (data[0] or b"").split()[:batch]]
        movable = "MOVE" in client.capabilities
        copied: list[str] = []
        for uid in uids:
            raw = _fetch(client, uid)
            if raw is None:
                continue  # gone meanwhile (another reader)
            try:
                result.add(mail_in_message(raw))
            except Exception:
                logger.exception("Mail %s could not be processed; it stays for the next run.", uid)
                result.failed += 1
                result.messages += 1
                continue
            typ, data = client.uid("MOVE" if movable else "COPY", uid, _quoted(done))
            if typ != "OK":
                # Left where it is, it would be read again on every run.
                raise MailInError(
                    f"the IMAP server {imap['host']} did not put read mail into the folder "
                    f"{done!r} ({_text(imaplib.IMAP4.error(data[0] if data else b''))[:-1]}); "
                    "set KSHARE_IMAP_DONE_FOLDER to a folder kshare may create or write."
                )
            if not movable:
                client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
                copied.append(uid)
        if copied and "UIDPLUS" in client.capabilities:
            client.uid("EXPUNGE", ",".join(copied))  # only ours, not what a person deleted
        elif copied:
            client.expunge()
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailInError(
            f"the IMAP server {imap['host']}:{imap['port']} stopped answering: {_text(exc)}"
        ) from exc
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return result


def _connect(imap: dict[str, Any]) -> imaplib.IMAP4:
    host, port = imap["host"], imap["port"]
    try:
        if imap["ssl"]:
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                host, port, ssl_context=ssl.create_default_context(), timeout=IMAP_TIMEOUT
            )
        else:
            client = imaplib.IMAP4(host, port, timeout=IMAP_TIMEOUT)
            if imap["starttls"]:
                client.starttls(ssl_context=ssl.create_default_context())
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailInError(f"cannot connect to the IMAP server {host}:{port}: {_text(exc)}") from exc
    try:
        client.login(imap["username"], imap["password"])
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailInError(
            f"the IMAP server {host}:{port} refused the login of {imap['username']}: {_text(exc)}"
        ) from exc
    return client


def _fetch(client: imaplib.IMAP4, uid: str) -> bytes | None:
    typ, data = client.uid("FETCH", uid, "(RFC822.SIZE)")
    if typ != "OK" or not data or data[0] is None:
        return None
    size = re.search(rb"RFC822\.SIZE (\d+)", data[0] if isinstance(data[0], bytes) else b"")
    if size and int(size[1]) > MAX_MESSAGE_BYTES:
        return _too_large(int(size[1]))
    typ, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    if typ != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None


def _too_large(size: int) -> bytes:
    """A stand-in for a message too large to fetch: counted as read, without a reply."""
    return f"Subject: (a message of {size} bytes, not read)\r\n\r\n".encode()


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"the server's certificate is not trusted ({exc.verify_message}); trust its CA on "
            "this machine, or point SSL_CERT_FILE at it."
        )
    if isinstance(exc, socket.timeout | TimeoutError):
        text = f"no answer within {IMAP_TIMEOUT} s"
    elif isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    else:
        text = str(exc) or type(exc).__name__
        if text.startswith("b'") or text.startswith('b"'):
            text = text[2:-1]
    text = " ".join(text.split())
    return text if text.endswith(".") else f"{text}."
