from django.urls import path
from django.views.generic import RedirectView

from kshare.calendars import views_agenda

# Week and month calendars (included by kshare/calendars/urls.py under the "calendars" namespace).
urlpatterns = [
    # The "Calendar" address people type: this week.
    path("", RedirectView.as_view(pattern_name="calendars:week"), name="index"),
    path("week/", views_agenda.calendar_week, name="week"),
    path("week/<int:year>-<int:month>-<int:day>/", views_agenda.calendar_week, name="week_of"),
    path("month/", views_agenda.calendar_month, name="month"),
    path("month/<int:year>/<int:month>/", views_agenda.calendar_month, name="month_of"),
]
