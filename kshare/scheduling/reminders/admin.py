from django.contrib import admin

from kshare.scheduling.reminders.models import CadenceNudge, OrganiserDigest, Reminder


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """Read-mostly: reminders are planned and sent by the services, never typed in."""

    list_display = ["session", "kind", "offset_minutes", "due_at", "sent_at", "recipients"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    list_select_related = ["session"]
    search_fields = ["session__title"]
    raw_id_fields = ["session"]
    date_hierarchy = "due_at"


@admin.register(OrganiserDigest)
class OrganiserDigestAdmin(admin.ModelAdmin):
    list_display = ["person", "day", "sessions", "sent_at"]
    list_select_related = ["person"]
    raw_id_fields = ["person"]
    date_hierarchy = "day"


@admin.register(CadenceNudge)
class CadenceNudgeAdmin(admin.ModelAdmin):
    list_display = ["programme", "slot_start", "sent_at"]
    list_select_related = ["programme"]
    raw_id_fields = ["programme"]
    date_hierarchy = "slot_start"
