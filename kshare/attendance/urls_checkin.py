from django.urls import URLPattern, path

from kshare.attendance import views_checkin

# Check-in: host page with QR, signed link, "I'm here". Owned by the check-in work.
urlpatterns: list[URLPattern] = [
    path("sessions/<int:pk>/check-in/", views_checkin.checkin_page, name="checkin_page"),
    path(
        "sessions/<int:pk>/check-in/people/",
        views_checkin.checkin_people,
        name="checkin_people",
    ),
    path("sessions/<int:pk>/check-in/qr.svg", views_checkin.checkin_qr, name="checkin_qr"),
    path("sessions/<int:pk>/here/", views_checkin.checkin_remote, name="checkin_remote"),
    path("sessions/<int:pk>/join/", views_checkin.join, name="join"),
    path("check-in/<str:token>/", views_checkin.checkin_link, name="checkin_link"),
]
