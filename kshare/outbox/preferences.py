"""Per-person notification settings: which categories of mail (``categories.py``) a person gets.

The check is made once, in ``mail_queue``, by recipient and kind — not by each sender — so that
every sender, including one written later, respects it: a notification mail to a person who
turned its category off is not stored at all. Senders keep their own rules (who is owed what,
claims); only the last step, queuing the mail, is skipped.

Every notification mail to a person carries a one-click unsubscribe link (RFC 8058): a signed
token of person and category, valid for as long as the person exists (a mail read months later
must still work), answered at ``/mail/unsubscribe/<token>/`` without signing in.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.dispatch import Signal
from django.urls import reverse

from kshare.outbox.categories import CATEGORIES
from kshare.outbox.models import MailOptOut

SALT = "kshare.unsubscribe"

# Sent on commit when a person turns a category on or off (kwargs: person_id, category, on), so
# an app with its own switch for its mail (the library's weekly catch-up) can follow.
mail_category_changed = Signal()


@dataclass(frozen=True)
class Recipient:
    person_id: int
    opted_out: bool


def unsubscribe_token(*, person_id: int, category: str) -> str:
    # No time stamp: the same link for as long as the person exists.
    return signing.Signer(salt=SALT).sign_object([person_id, category], compress=True)


def unsubscribe_token_read(token: str) -> tuple[int, str] | None:
    """(person id, category) of a token this site signed, or None for anything else."""
    try:
        value = signing.Signer(salt=SALT).unsign_object(token)
    except signing.BadSignature:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or value[1] not in CATEGORIES
    ):
        return None
    return value[0], value[1]


def unsubscribe_link(*, person_id: int, category: str) -> str:
    token = unsubscribe_token(person_id=person_id, category=category)
    return settings.SITE_URL + reverse("mail:unsubscribe", args=[token])


def settings_link() -> str:
    return settings.SITE_URL + reverse("people:notifications")


def mail_recipient(*, address: str, category: str) -> Recipient | None:
    """The active person with e-mail ``address`` and whether they turned ``category`` off
    (one query); None when the address is nobody's (a mail to an outside address)."""
    _name, email = parseaddr(address)
    if not email:
        return None
    row = (
        get_user_model()
        .objects.filter(email__iexact=email, is_active=True)
        .annotate(
            opted_out=Exists(MailOptOut.objects.filter(person_id=OuterRef("pk"), category=category))
        )
        .values_list("pk", "opted_out")
        .first()
    )
    if row is None:
        return None
    return Recipient(person_id=row[0], opted_out=bool(row[1]))


def mail_categories_off(*, person_id: int) -> set[str]:
    """The categories ``person_id`` turned off."""
    return set(MailOptOut.objects.filter(person_id=person_id).values_list("category", flat=True))


def mail_category_set(*, person_id: int, category: str, on: bool) -> bool:
    """Turn one category on or off for a person; True when that changed anything."""
    if category not in CATEGORIES:
        raise ValueError(f"Unknown mail category {category!r}.")
    if on:
        deleted, _ = MailOptOut.objects.filter(person_id=person_id, category=category).delete()
        changed = bool(deleted)
    else:
        _row, changed = MailOptOut.objects.get_or_create(person_id=person_id, category=category)
    if changed:
        _announce(person_id=person_id, category=category, on=on)
    return changed


def _announce(*, person_id: int, category: str, on: bool) -> None:
    transaction.on_commit(
        lambda: mail_category_changed.send(
            sender=MailOptOut, person_id=person_id, category=category, on=on
        )
    )


@transaction.atomic
def mail_categories_set(*, person_id: int, off: set[str]) -> None:
    """Make exactly the categories in ``off`` the ones ``person_id`` does not get."""
    unknown = off - CATEGORIES.keys()
    if unknown:
        raise ValueError(f"Unknown mail categories: {', '.join(sorted(unknown))}.")
    for category in CATEGORIES:
        mail_category_set(person_id=person_id, category=category, on=category not in off)
