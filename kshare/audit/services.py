"""Recording audit entries. ``receivers`` records model changes; services call ``audit_record``
for what is not one row's change (an invitation batch, an import, an export)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from kshare.audit.context import current_actor, current_request
from kshare.audit.models import AuditEntry

if TYPE_CHECKING:  # annotations only: the people app is not needed at run time
    from kshare.people.models import Person

LABEL_MAX = 300


def plain(value: Any) -> Any:
    """A JSON value for the log (dates as ISO text, decimals as text)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _source(path: str) -> str:
    if path.startswith("/api/"):
        return AuditEntry.Source.API
    if path.startswith("/admin/"):
        return AuditEntry.Source.ADMIN
    return AuditEntry.Source.WEB


def audit_record(
    *,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    target_label: str = "",
    changes: dict[str, Any] | None = None,
    actor: Person | None = None,
) -> AuditEntry:
    """Append one entry. The actor, source and client address come from the request being
    served (``context``) unless ``actor`` is given (or set with ``context.acting_as``); without
    a request the source is "system"."""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        target_label = str(target)
    if actor is None:
        actor = current_actor.get()
    request = current_request.get()
    source: str = AuditEntry.Source.SYSTEM
    address = None
    if request is not None:
        source = _source(request.path)
        address = request.META.get("REMOTE_ADDR") or None
        user = getattr(request, "user", None)
        if actor is None and user is not None and user.is_authenticated:
            actor = user
    label = f"{actor.display_name} <{actor.email}>" if actor is not None else ""
    return AuditEntry.objects.create(
        actor=actor,
        actor_label=label[:400],
        action=action,
        target_type=target_type,
        target_id=target_id[:64],
        target_label=target_label[:LABEL_MAX],
        changes=plain(changes or {}),
        source=source,
        address=address,
    )
