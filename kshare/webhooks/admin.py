"""Webhooks in Django's admin: subscriptions editable, deliveries read-only with a retry action."""

from __future__ import annotations

from django.contrib import admin, messages

from kshare.webhooks.models import Webhook, WebhookDelivery
from kshare.webhooks.services import webhook_deliveries_retry, webhook_secret_new


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("url", "programme", "events", "active", "created_by", "created_at")
    list_filter = ("active", "programme")
    search_fields = ("url", "description")
    raw_id_fields = ("created_by",)
    # The secret is made here, never typed, and shown once (in the message after adding).
    exclude = ("secret",)
    readonly_fields = ("created_at",)

    def save_model(self, request, obj: Webhook, form, change: bool) -> None:
        if not obj.secret:
            obj.secret = webhook_secret_new()
            self.message_user(
                request,
                f"The webhook's signing secret (shown once): {obj.secret}",
                level=messages.WARNING,
            )
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "event",
        "webhook",
        "status",
        "attempts",
        "response_status",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event")
    ordering = ("-created_at", "-id")
    actions = ("retry_now",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Retry now (queued or failed deliveries)")
    def retry_now(self, request, queryset) -> None:
        count = webhook_deliveries_retry(delivery_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} delivery(ies) queued.", level=messages.SUCCESS)
