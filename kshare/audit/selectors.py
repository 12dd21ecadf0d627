"""Reading the audit log (admins only), filtered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from kshare.audit.models import AuditEntry

if TYPE_CHECKING:  # annotations only: the people app is not needed at run time
    from kshare.people.models import Person


@dataclass(frozen=True)
class AuditFilter:
    who: str = ""  # part of the actor's name or e-mail
    action: str = ""
    target_type: str = ""
    start: date | None = None
    end: date | None = None  # included


def audit_allowed(person: Person) -> bool:
    return bool(person.is_authenticated and person.is_active and person.is_admin)


def audit_entries(*, filters: AuditFilter) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.all()
    if filters.who:
        entries = entries.filter(actor_label__icontains=filters.who)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.target_type:
        entries = entries.filter(target_type=filters.target_type)
    zone = timezone.get_current_timezone()
    if filters.start:
        entries = entries.filter(at__gte=datetime.combine(filters.start, time.min, zone))
    if filters.end:
        entries = entries.filter(
            Q(at__lt=datetime.combine(filters.end, time.max, zone))
            | Q(at=datetime.combine(filters.end, time.max, zone))
        )
    return entries.order_by("-at", "-id")


def audit_target_types() -> list[str]:
    return list(
        AuditEntry.objects.order_by("target_type").values_list("target_type", flat=True).distinct()
    )
