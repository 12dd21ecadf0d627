from django.urls import URLPattern, path  # noqa: F401

# Attendance log, history, CSV export. Owned by the attendance-log work.
urlpatterns: list[URLPattern] = []
