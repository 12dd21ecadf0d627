"""``/people/experts/``: the expertise directory (included by kshare/urls.py under that path)."""

from django.urls import path

from kshare.feedback import views_experts

app_name = "experts"
urlpatterns: list = [
    path("", views_experts.experts, name="directory"),
]
