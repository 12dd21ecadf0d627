"""Chat channels in Django's admin: channels are connected on /chat/ (where the address is
checked and sealed), so here they can be paused, renamed or removed, never added; posts are
read-only, with a retry action."""

from __future__ import annotations

from django.contrib import admin, messages

from kshare.chat.models import ChatChannel, ChatPost
from kshare.chat.services import chat_posts_retry


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "platform", "programme", "active", "url_hint", "created_at")
    list_filter = ("platform", "active", "programme")
    search_fields = ("name", "url_hint")
    raw_id_fields = ("created_by",)
    # The sealed address is never shown or typed here.
    exclude = ("url_sealed",)
    readonly_fields = ("platform", "url_hint", "created_by", "created_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ChatPost)
class ChatPostAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "channel",
        "status",
        "attempts",
        "response_status",
        "next_attempt_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("key", "channel__name", "last_error")
    actions = ["retry_now"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Retry now")
    def retry_now(self, request, queryset) -> None:
        count = chat_posts_retry(post_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} post(s) queued again.", level=messages.SUCCESS)
