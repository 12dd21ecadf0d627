from django.urls import path

from kshare.outbox import views_unsubscribe

app_name = "mail"
urlpatterns = [
    path("unsubscribe/<str:token>/", views_unsubscribe.unsubscribe, name="unsubscribe"),
]
