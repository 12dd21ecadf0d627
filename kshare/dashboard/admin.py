from django.contrib import admin

from kshare.dashboard.models import DataVersion


@admin.register(DataVersion)
class DataVersionAdmin(admin.ModelAdmin):
    list_display = ("value", "token")
    readonly_fields = ("value", "token")
