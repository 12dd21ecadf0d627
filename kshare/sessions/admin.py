from django.contrib import admin

from kshare.sessions.models import (
    AgendaItem,
    Attendance,
    AttendanceChange,
    CohostInvitation,
    Invitation,
    Session,
    SessionChange,
    SessionHost,
    Star,
)


class HostInline(admin.TabularInline):
    model = SessionHost
    extra = 0
    autocomplete_fields = ["person"]


class AgendaInline(admin.TabularInline):
    model = AgendaItem
    extra = 0


class ChangeInline(admin.TabularInline):
    model = SessionChange
    extra = 0
    can_delete = False
    readonly_fields = [
        "kind",
        "by",
        "at",
        "from_state",
        "to_state",
        "old_start",
        "new_start",
        "note",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["title", "programme", "format", "state", "start", "visibility"]
    list_filter = ["state", "format", "visibility", "programme"]
    list_select_related = ["programme"]
    search_fields = ["title"]
    date_hierarchy = "start"
    autocomplete_fields = ["tags", "created_by"]
    filter_horizontal = ["teams"]
    # State changes go through the services (they record history): read-only here.
    readonly_fields = ["state", "created_at", "updated_at"]
    inlines = [HostInline, AgendaInline, ChangeInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["session", "person", "response", "responded_at"]
    list_filter = ["response"]
    list_select_related = ["session", "person"]
    autocomplete_fields = ["session", "person", "invited_by"]
    # The mail markers are written by the services only (kshare/sessions/invitation_mail.py).
    readonly_fields = ["mailed_at", "mailed_sequence", "mail_due_at", "promoted_mail_due_at"]


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["session", "person", "method", "recorded_at"]
    list_select_related = ["session", "person"]
    autocomplete_fields = ["session", "person"]


@admin.register(SessionChange)
class SessionChangeAdmin(admin.ModelAdmin):
    list_display = ["session", "kind", "by", "at"]
    list_select_related = ["session", "by"]
    list_filter = ["kind"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SessionHost)
class SessionHostAdmin(admin.ModelAdmin):
    list_display = ["session", "person", "role"]
    list_select_related = ["session", "person"]
    autocomplete_fields = ["session", "person"]


@admin.register(CohostInvitation)
class CohostInvitationAdmin(admin.ModelAdmin):
    """Read-only: only the person asked answers (on /sessions/co-hosting/<id>/)."""

    list_display = ["session", "person", "status", "invited_by", "created_at", "answered_at"]
    list_filter = ["status"]
    list_select_related = ["session", "person", "invited_by"]
    readonly_fields = ["session", "person", "invited_by", "status", "created_at", "answered_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AgendaItem)
class AgendaItemAdmin(admin.ModelAdmin):
    list_display = ["session", "position", "title", "minutes", "is_discussion"]
    list_select_related = ["session"]


@admin.register(AttendanceChange)
class AttendanceChangeAdmin(admin.ModelAdmin):
    list_display = ["session", "person", "action", "method", "by", "at", "after_held"]
    list_filter = ["action", "method", "after_held"]
    list_select_related = ["session", "person", "by"]
    raw_id_fields = ["session", "person", "by"]
    date_hierarchy = "at"


@admin.register(Star)
class StarAdmin(admin.ModelAdmin):
    list_display = ["person", "session", "created_at"]
    list_select_related = ["person", "session"]
    search_fields = ["person__email", "session__title"]
    autocomplete_fields = ["person", "session"]
