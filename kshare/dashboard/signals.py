"""Invalidation: a save or delete of any row the figures read bumps the data version.

The bump runs after the transaction commits (so the version row is locked only for one short
UPDATE, never for a whole transaction). Bulk writes send no signals: ``Invitation`` and
``FeedbackRequest`` rows are bulk-created by the services, so the cache key also carries their
largest ids (see ``selectors.data_version``); the cache timeout bounds anything else.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save

WATCHED_MODELS = (
    "talks.Session",
    "talks.SessionHost",
    "talks.SessionChange",
    "talks.Attendance",
    "talks.Invitation",
    "programmes.Programme",
    "people.Person",
    "people.Team",
    "feedback.FeedbackRequest",
    "feedback.Response",
    "feedback.Answer",
    "feedback.Question",
    "ideas.Idea",
    "topics.TopicRequest",
    "scheduling.RhythmEvent",
    "scheduling.RhythmException",
    "library.Material",
    "library.CatchUpSignal",
)


# Saves limited (``update_fields``) to other fields than these change no figure: a sign-in
# (``last_login``), an RSVP answer or a mailing time does not invalidate the dashboard.
FIGURE_FIELDS = {
    "people.Person": {"team", "team_id", "is_active"},
    "talks.Invitation": {"session", "session_id", "person", "person_id"},
    "feedback.FeedbackRequest": {"session", "session_id", "person", "person_id"},
}


def data_version_bump() -> None:
    """Make every cached figure stale (immediately; see ``_changed`` for the deferred form)."""
    from kshare.dashboard.models import DataVersion

    DataVersion.objects.filter(pk=1).update(value=F("value") + 1)


def _changed(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # fixtures being loaded
        return
    fields = FIGURE_FIELDS.get(sender._meta.label)
    update_fields = kwargs.get("update_fields")
    if fields is not None and update_fields is not None and not fields & set(update_fields):
        return
    if connection.in_atomic_block:
        transaction.on_commit(data_version_bump)
    else:
        data_version_bump()


def connect() -> None:
    for label in WATCHED_MODELS:
        model = apps.get_model(label)
        uid = f"dashboard-{label}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}-delete")
    session = apps.get_model("talks.Session")
    m2m_changed.connect(_changed, sender=session.hosts.through, dispatch_uid="dashboard-hosts")
    m2m_changed.connect(_changed, sender=session.teams.through, dispatch_uid="dashboard-teams")
