"""The audit log: who did what to what, when, with the fields' values before and after."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditEntry(models.Model):
    """One recorded action. Appended only: nothing in kshare changes or deletes an entry."""

    class Action(models.TextChoices):
        CREATE = "create", pgettext_lazy("audit action", "created")
        UPDATE = "update", pgettext_lazy("audit action", "changed")
        DELETE = "delete", pgettext_lazy("audit action", "deleted")
        INVITE = "invite", pgettext_lazy("audit action", "invited")
        IMPORT = "import", pgettext_lazy("audit action", "imported")
        EXPORT = "export", pgettext_lazy("audit action", "exported")

    class Source(models.TextChoices):
        WEB = "web", _("web page")
        API = "api", _("REST API")
        ADMIN = "admin", _("admin site")
        SYSTEM = "system", _("command or worker")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who it was when it happened, kept if the account is later renamed or deleted.
    actor_label = models.CharField(max_length=400, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    target_type = models.CharField(max_length=100)  # app_label.model
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    # {"field": [before, after]} for changes; facts of the action otherwise.
    changes = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SYSTEM)
    address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
            models.Index(fields=["actor", "at"], name="audit_actor_at"),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.actor_label or 'kshare'} {self.get_action_display()} {self.target_label}"

    @property
    def change_rows(self) -> list[tuple[str, str]]:
        """(field, "before → after") for a change; (field, value) for a creation, a deletion
        or the facts of an action."""
        rows = []
        for name, change in sorted(self.changes.items()):
            if isinstance(change, list) and len(change) == 2:
                before, after = change
                if self.action == self.Action.UPDATE:
                    text = f"{_shown(before)} → {_shown(after)}"
                else:
                    text = _shown(after if before is None else before)
            else:
                text = _shown(change)
            rows.append((name, text))
        return rows


def _shown(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return "; ".join(f"{k} {_shown(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    return str(value)
