"""URL patterns for the automatic transcription's page part (included by library/urls.py)."""

from django.urls import path

from kshare.library import views_transcription

urlpatterns: list = [
    path(
        "materials/<int:pk>/transcription/",
        views_transcription.transcription_status,
        name="transcription_status",
    ),
    path(
        "materials/<int:pk>/transcription/start/",
        views_transcription.transcription_start,
        name="transcription_start",
    ),
]
