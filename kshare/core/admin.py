from django.contrib import admin

from kshare.core.models import ClockClaim, WorkerLease


@admin.register(ClockClaim)
class ClockClaimAdmin(admin.ModelAdmin):
    """Which worker enqueued which periodic task in which period (read only)."""

    list_display = ["task", "period_start", "claimed_by", "claimed_at"]
    list_filter = ["task"]
    search_fields = ["task", "claimed_by"]
    date_hierarchy = "period_start"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WorkerLease)
class WorkerLeaseAdmin(admin.ModelAdmin):
    """The running workers and those found dead in the last day (read only)."""

    list_display = ["worker_id", "host", "pid", "started_at", "heartbeat_at", "lost_at"]
    search_fields = ["worker_id", "host"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
