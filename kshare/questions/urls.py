from django.urls import URLPattern, path

from kshare.questions import views

app_name = "questions"
urlpatterns: list[URLPattern] = [
    path("sessions/<int:pk>/questions/", views.question_page, name="page"),
    path("sessions/<int:pk>/questions/live/", views.question_live, name="live"),
    path("sessions/<int:pk>/questions/ask/", views.question_ask, name="ask"),
    path("sessions/<int:pk>/questions/<int:qpk>/vote/", views.question_vote, name="vote"),
    path(
        "sessions/<int:pk>/questions/<int:qpk>/answered/",
        views.question_answered,
        name="answered",
    ),
    path("sessions/<int:pk>/questions/<int:qpk>/convert/", views.question_convert, name="convert"),
]
