"""Account routes with Django's global names (login, logout, password_reset, …) and sign-up.

Django's auth views are already marked ``login_not_required``; so is ``signup``.
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from kshare.people import views, views_sso

urlpatterns = [
    path("signin/", views.LoginView.as_view(), name="login"),
    path("signin/sso/", views_sso.sso_start, name="sso_start"),
    path("signin/sso/callback/", views_sso.sso_callback, name="sso_callback"),
    path("signout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/<str:token>/", views.signup, name="signup"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="people/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="people/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
