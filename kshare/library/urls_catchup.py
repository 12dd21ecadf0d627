"""URL patterns for the catch-up feed (included by library/urls.py, namespace "library")."""

from django.urls import path

from kshare.library import views_catchup

urlpatterns = [
    path("catch-up/", views_catchup.catchup, name="catchup"),
    path("catch-up/email/", views_catchup.catchup_email, name="catchup_email"),
    path("catch-up/<int:pk>/mark/", views_catchup.catchup_mark, name="catchup_mark"),
    path("catch-up/<int:pk>/undo/", views_catchup.catchup_unmark, name="catchup_unmark"),
]
