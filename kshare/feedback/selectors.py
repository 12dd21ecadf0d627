"""Reads for the person answering feedback forms."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from kshare.feedback.models import FeedbackRequest
from kshare.people.models import Person


def feedback_requests_open(*, person: Person) -> QuerySet[FeedbackRequest]:
    """The forms ``person`` can still answer, the soonest to close first."""
    return FeedbackRequest.objects.filter(
        person=person, answered=False, closes_at__gt=timezone.now()
    ).order_by("closes_at", "id")
