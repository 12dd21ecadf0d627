from django.contrib import admin

from kshare.calendars.models import CalendarFeed


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["person", "include_rhythm", "created_at"]
    list_filter = ["include_rhythm"]
    list_select_related = ["person"]
    search_fields = ["person__email", "person__display_name"]
    autocomplete_fields = ["person"]
    # The token is a secret address: never shown; deleting the feed revokes it.
    exclude = ["token"]
