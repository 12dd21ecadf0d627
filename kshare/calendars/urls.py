from django.urls import include, path

app_name = "calendars"
# One module per part, so that each is owned and reviewed on its own:
# week/month views (urls_agenda), feeds and stars (urls_feeds), the slot finder (urls_slots).
urlpatterns = [
    path("", include("kshare.calendars.urls_agenda")),
    path("", include("kshare.calendars.urls_feeds")),
    path("", include("kshare.calendars.urls_slots")),
]
