from django.urls import path

from kshare.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:name>.csv", views.figure_csv, name="csv"),
]
