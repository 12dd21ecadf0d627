"""URL patterns for transcripts (owned by the transcripts work; included by library/urls.py)."""

from django.urls import path

from kshare.library import views_transcripts

urlpatterns: list = [
    path(
        "materials/<int:pk>/transcript/",
        views_transcripts.transcript_edit,
        name="transcript_edit",
    ),
    path(
        "materials/<int:pk>/transcript/delete/",
        views_transcripts.transcript_delete,
        name="transcript_delete",
    ),
    path(
        "materials/<int:pk>/transcript.vtt",
        views_transcripts.transcript_vtt,
        name="transcript_vtt",
    ),
    path(
        "materials/<int:pk>/chapters.vtt",
        views_transcripts.transcript_chapters_vtt,
        name="transcript_chapters_vtt",
    ),
]
