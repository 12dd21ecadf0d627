"""Model changes that are recorded, and the signal receivers that record them.

What is tracked is listed here by model label (``TRACKED``), so the audit app — a low layer —
imports no app above it: the models are looked up when Django is ready. A row's change is
recorded in the transaction that makes it, so a rolled-back change leaves no entry. Secrets are
never recorded (``NEVER``). Writes that bypass model signals (``bulk_create``, ``update()``) are
recorded by their services with ``audit_record`` (invitations, imports).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from kshare.audit.models import AuditEntry
from kshare.audit.services import audit_record, plain

ALL = "*"
# Model label -> fields whose values are recorded ("*": every field but the ones below).
TRACKED: dict[str, tuple[str, ...] | str] = {
    "programmes.programme": ALL,
    "feedback.feedbackform": ALL,
    "feedback.question": ALL,
    "scheduling.rhythmevent": ALL,
    "people.person": (
        "email",
        "display_name",
        "role",
        "team",
        "is_active",
        "is_staff",
        "is_superuser",
    ),
    "people.team": ALL,
    "people.accountinvite": ("email", "role", "team", "expires_at", "accepted_at"),
    "api.apitoken": ("person", "name", "scope", "prefix", "revoked_at"),
    "webhooks.webhook": ("url", "events", "programme", "active"),
    # Deletions of what people made; their creation and edits are everyday work, not audited.
    "talks.session": (),
    "library.material": (),
    "library.transcript": (),
    "ideas.idea": (),
    "topics.topicrequest": (),
}
# Models whose creation and edits are not recorded, only their deletion.
DELETE_ONLY = {
    "talks.session",
    "library.material",
    "library.transcript",
    "ideas.idea",
    "topics.topicrequest",
}
NEVER = {"password", "secret", "token_hash", "last_login", "updated_at"}


def _fields(model: type[models.Model]) -> list[models.Field]:
    wanted = TRACKED[model._meta.label_lower]
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in NEVER and not getattr(f, "auto_now", False)
    ]
    if wanted == ALL:
        return fields
    return [f for f in fields if f.name in wanted]


def _values(instance: models.Model, fields: list[models.Field]) -> dict[str, Any]:
    return {f.name: plain(getattr(instance, f.attname)) for f in fields}


def _before(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if instance.pk is None or instance._state.adding:
        instance._audit_before = None  # type: ignore[attr-defined]
        return
    fields = _fields(sender)
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not {f.name for f in fields} & set(update_fields):
        instance._audit_before = False  # type: ignore[attr-defined]  # nothing tracked changes
        return
    row = sender._base_manager.filter(pk=instance.pk).values(*[f.attname for f in fields]).first()
    instance._audit_before = (  # type: ignore[attr-defined]
        None if row is None else {f.name: plain(row[f.attname]) for f in fields}
    )


def _after(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    label = sender._meta.label_lower
    if label in DELETE_ONLY or kwargs.get("raw"):
        return
    fields = _fields(sender)
    after = _values(instance, fields)
    before = getattr(instance, "_audit_before", None)
    if before is False:
        return
    if created or before is None:
        audit_record(
            action=AuditEntry.Action.CREATE,
            target=instance,
            changes={name: [None, value] for name, value in after.items()},
        )
        return
    changed = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if changed:
        audit_record(action=AuditEntry.Action.UPDATE, target=instance, changes=changed)


def _deleted(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    fields = _fields(sender)
    audit_record(
        action=AuditEntry.Action.DELETE,
        target=instance,
        changes={name: [value, None] for name, value in _values(instance, fields).items()},
    )


def _m2m(sender: Any, instance: models.Model, action: str, pk_set: set[int] | None, **kwargs: Any):
    if action not in ("post_add", "post_remove", "post_clear") or kwargs.get("reverse"):
        return
    label = instance._meta.label_lower
    if label not in TRACKED or label in DELETE_ONLY:
        return
    field = next((f for f in instance._meta.many_to_many if f.remote_field.through is sender), None)
    if field is None:
        return
    key = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
    audit_record(
        action=AuditEntry.Action.UPDATE,
        target=instance,
        changes={field.name: {key: sorted(pk_set or [])}},
    )


def connect() -> None:
    for label, wanted in TRACKED.items():
        model = apps.get_model(label)
        names = {f.name for f in model._meta.concrete_fields}
        unknown = set(wanted) - names if wanted != ALL else set()
        if unknown:  # a renamed field must not silently leave the log
            raise LookupError(f"audit: {label} has no field {sorted(unknown)[0]!r}")
        uid = f"audit:{label}"
        if label not in DELETE_ONLY:
            pre_save.connect(_before, sender=model, dispatch_uid=f"{uid}:pre")
            post_save.connect(_after, sender=model, dispatch_uid=f"{uid}:post")
            for field in model._meta.many_to_many:
                m2m_changed.connect(
                    _m2m, sender=field.remote_field.through, dispatch_uid=f"{uid}:{field.name}"
                )
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"{uid}:delete")
