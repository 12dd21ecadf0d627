from django.contrib import admin

from kshare.calendars.models import CalendarFeed
from kshare.sessions.models import Star


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["person", "include_rhythm", "created_at"]
    list_filter = ["include_rhythm"]
    list_select_related = ["person"]
    search_fields = ["person__email", "person__display_name"]
    autocomplete_fields = ["person"]
    # The token is a secret address: never shown; deleting the feed revokes it.
    exclude = ["token"]


# Stars live on sessions but are written by kshare.calendars.services (the personal agenda).
@admin.register(Star)
class StarAdmin(admin.ModelAdmin):
    list_display = ["person", "session", "created_at"]
    list_select_related = ["person", "session"]
    search_fields = ["person__email", "session__title"]
    autocomplete_fields = ["person", "session"]
