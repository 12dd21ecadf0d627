from django.urls import path

from kshare.api import views

app_name = "api_tokens"

urlpatterns = [
    path("", views.token_list, name="tokens"),
    path("<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
