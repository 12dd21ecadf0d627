"""Account routes with Django's global names (login, logout, password_reset, …)."""

from django.contrib.auth import views as auth_views
from django.urls import path

urlpatterns = [
    path(
        "signin/",
        auth_views.LoginView.as_view(
            template_name="people/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("signout/", auth_views.LogoutView.as_view(), name="logout"),
]
