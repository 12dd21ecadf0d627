"""Which mails a person may turn off, by mail kind.

Every ``mail_queue(message, kind=...)`` call names a kind. A kind is either *transactional* (the
person asked for it or must get it: a password reset, a sign-up link, the calendar invitation,
its update and its cancellation, a request to co-host) and always sent, or it belongs to one
*category* of notifications the person can turn off on their notification settings page or with
the one-click ``List-Unsubscribe`` link each such mail carries (RFC 8058).

A kind that is in neither table (a new one) counts as ``other``: it can be turned off, and it is
sent until someone puts it in its proper category here. Add new kinds to ``KIND_CATEGORIES`` (or to
``TRANSACTIONAL_KINDS`` when nobody may refuse them); docs/configuration.md lists the mapping.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Category:
    key: str
    label: str | Promise  # translated when shown
    description: str | Promise


# In the order the settings page shows them.
CATEGORIES: dict[str, Category] = {
    category.key: category
    for category in (
        Category(
            "reminders",
            _("Reminders"),
            _(
                "Before a session you host or were invited to: preparation reminders for hosts, "
                "a reminder for invitees."
            ),
        ),
        Category(
            "nudges",
            _("Nudges"),
            _(
                "“Will you come?” to an invitation you have not answered yet, and, for organisers, "
                "the programme's open slots."
            ),
        ),
        Category(
            "digests",
            _("Digests"),
            _("For organisers: the daily list of sessions that ended and were never marked held."),
        ),
        Category(
            "feedback",
            _("Feedback requests"),
            _("The feedback form after a session you attended, and its one reminder."),
        ),
        Category(
            "summaries",
            _("Host summaries"),
            _(
                "After a session you hosted, once its feedback has closed: attendance, feedback "
                "results, questions asked, ideas raised and who would like to host."
            ),
        ),
        Category(
            "topics",
            _("Topic news"),
            _("A session was scheduled on a topic you asked for."),
        ),
        Category(
            "catchup",
            _("Weekly catch-up"),
            _(
                "On Mondays, the sessions you missed that have new material (when you chose it on "
                "the catch-up page)."
            ),
        ),
        Category(
            "other",
            _("Other notifications"),
            _("Any other news kshare sends you about sessions."),
        ),
    )
}

KIND_CATEGORIES: dict[str, str] = {
    "reminder_host_prep": "reminders",
    "reminder_invitee": "reminders",
    "reminder_nudge": "nudges",
    "cadence_nudge": "nudges",
    "reminder_organiser_digest": "digests",
    "feedback_request": "feedback",
    "feedback_reminder": "feedback",
    "host_summary": "summaries",
    "topic_scheduled": "topics",
    "catchup_weekly": "catchup",
}

TRANSACTIONAL_KINDS: frozenset[str] = frozenset(
    {
        "account_invite",
        "password_reset",
        # The calendar invitation and what keeps the person's calendar right afterwards.
        "invitation",
        "update",
        "cancelled",
        "promoted",
        "cohost_invitation",
        # The host's own calendar: their session scheduled, moved, cancelled (host_mail.py).
        "host_confirmation",
        "host_update",
        "host_cancelled",
        # A draft proposed on someone's behalf: the question to them, their answer to the proposer.
        "draft_host_request",
        "draft_host_accepted",
        "draft_host_declined",
    }
)

DEFAULT_CATEGORY = "other"


def category_for(kind: str) -> str | None:
    """The category of mail ``kind``, or None when it is transactional (always sent)."""
    if kind in TRANSACTIONAL_KINDS:
        return None
    return KIND_CATEGORIES.get(kind, DEFAULT_CATEGORY)
