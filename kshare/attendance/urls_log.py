from django.urls import URLPattern, path

from kshare.attendance import views_log

# Attendance log, history, CSV export. Owned by the attendance-log work.
urlpatterns: list[URLPattern] = [
    path("sessions/<int:pk>/attendance/", views_log.attendance_log, name="log"),
    path("sessions/<int:pk>/attendance/live/", views_log.attendance_log_live, name="log_live"),
    path(
        "sessions/<int:pk>/attendance/search/", views_log.attendance_log_search, name="log_search"
    ),
    path("sessions/<int:pk>/attendance/add/", views_log.attendance_log_add_view, name="log_add"),
    path(
        "sessions/<int:pk>/attendance/remove/",
        views_log.attendance_log_remove_view,
        name="log_remove",
    ),
    path("sessions/<int:pk>/attendance.csv", views_log.attendance_log_csv, name="csv"),
]
