"""The signed RSVP links in invitation mails: they answer for one invitation without signing in.

A token names the invitation and its person, signed with its own salt (``RSVP_SALT``) and a
timestamp; a link stops working when its session ends, and in any case after ``RSVP_MAX_AGE``.
Only signing and reading here: the mails put the links in (``invitation_mail``), the RSVP page
reads them (``views_invitations``) and answers through ``invitations.rsvp_set``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from kshare.sessions.models import Invitation, Session

RSVP_SALT = "kshare.rsvp"
# An RSVP link stops working when its session ends, and in any case after this long.
RSVP_MAX_AGE = timedelta(days=365)


class RSVPTokenInvalid(Exception):
    pass


class RSVPTokenExpired(Exception):
    pass


def rsvp_token(invitation: Invitation) -> str:
    """A signed, timestamped token naming the invitation and its person."""
    return signing.dumps([invitation.pk, invitation.person_id], salt=RSVP_SALT)


def rsvp_token_read(token: str) -> tuple[int, int]:
    """(invitation id, person id) from a token; raises RSVPTokenInvalid / RSVPTokenExpired."""
    try:
        value = signing.loads(token, salt=RSVP_SALT, max_age=RSVP_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise RSVPTokenExpired from exc
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise RSVPTokenInvalid from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(type(v) is int and v > 0 for v in value)
    ):
        raise RSVPTokenInvalid
    return value[0], value[1]


def rsvp_link(invitation: Invitation, answer: str | None = None) -> str:
    url = settings.SITE_URL + reverse("sessions:rsvp_link", args=[rsvp_token(invitation)])
    return f"{url}?answer={answer}" if answer else url


def rsvp_link_expired(*, session: Session, now: datetime | None = None) -> bool:
    return session.end is not None and session.end <= (now or timezone.now())
