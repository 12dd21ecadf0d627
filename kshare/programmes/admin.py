from django.contrib import admin

from kshare.programmes.models import Programme


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "cadence", "lead_time_days", "visibility", "is_default"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["teams"]
    autocomplete_fields = ["organisers"]
    search_fields = ["name"]
