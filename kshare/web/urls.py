from django.urls import path

from kshare.web import views, views_retention

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("retention/", views_retention.retention, name="retention"),
]
