"""The outbox in Django's admin: read-only, with a "Retry now" action. Rows are never deleted."""

from __future__ import annotations

from django.contrib import admin, messages

from kshare.outbox.models import MailOptOut, OutboxMessage
from kshare.outbox.services import outbox_retry


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "status",
        "kind",
        "recipients",
        "subject",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("subject", "to", "kind")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    actions = ("retry_now",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="To")
    def recipients(self, obj: OutboxMessage) -> str:
        return ", ".join(obj.to)

    @admin.action(description="Retry now (queued or failed mails)")
    def retry_now(self, request, queryset) -> None:
        count = outbox_retry(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, f"{count} mail(s) queued to be sent now.", level=messages.SUCCESS
        )


@admin.register(MailOptOut)
class MailOptOutAdmin(admin.ModelAdmin):
    """Kinds of mail people turned off (their notification settings): to answer "why did Ann
    get no reminder?". People change them themselves; an admin may remove one on request."""

    list_display = ("person", "category", "created_at")
    list_filter = ("category",)
    search_fields = ("person__email", "person__display_name")
    list_select_related = ("person",)
    raw_id_fields = ("person",)
