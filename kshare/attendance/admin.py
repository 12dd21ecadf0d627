from django.contrib import admin

from kshare.attendance.models import AttendanceChange


@admin.register(AttendanceChange)
class AttendanceChangeAdmin(admin.ModelAdmin):
    list_display = ["session", "person", "action", "method", "by", "at", "after_held"]
    list_filter = ["action", "method", "after_held"]
    list_select_related = ["session", "person", "by"]
    raw_id_fields = ["session", "person", "by"]
    date_hierarchy = "at"
