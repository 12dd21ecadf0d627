from django.contrib import admin

from kshare.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is appended to by kshare and never edited or deleted by hand."""

    list_display = ["at", "actor_label", "action", "target_type", "target_label", "source"]
    list_filter = ["action", "source", "target_type"]
    search_fields = ["actor_label", "target_label"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
