from django.urls import path

from kshare.chat import views

app_name = "chat"

urlpatterns = [
    path("", views.channels, name="channels"),
    path("<int:pk>/test/", views.channel_test_view, name="test"),
    path("<int:pk>/remove/", views.channel_remove_view, name="remove"),
]
